//! The report, summary first: verdict banner, exports, ranked causes with evidence links, the
//! PCR table with PCR-file checks, layers, then the files with filter chips, search and a
//! "hide noise" switch, each changed entry with its fields side by side and its content diff.
//!
//! Rendered typed from [`Report`] with Yew text nodes (escape by construction). Every layer,
//! entry and PCR row carries the id [`anchor_id`] gives its anchor, the same ids the HTML
//! export uses, so `#entry-rootfs_2fetc…` permalinks and evidence links work (entries live in a
//! virtualised list, see [`super::entries`], which resolves their permalinks itself). Elements
//! marked `data-diff` (differing layers), then the list's entries, are the stops of the j / k
//! keyboard shortcuts.

use std::rc::Rc;

use yew::prelude::*;

use crate::app::components::entries::{Files, NavCell};
use crate::app::components::export::Export;
use crate::app::hooks::use_jk_navigation;
use crate::report::html::verdict_class;
use crate::report::{anchor_id, Confidence, FieldChange, Layer, LayerStatus, PcrFileCheck, Report, Side, SideSummary};

#[derive(Properties, PartialEq)]
pub struct ReportViewProps {
    pub report: Rc<Report>,
}

/// Evidence links (and unexplained items) listed per cause; the rest are counted. The file
/// list holds every entry, so a cause explaining 100 000 entries stays a short paragraph.
const MAX_EVIDENCE: usize = 20;

fn side_letter(side: Side) -> &'static str {
    match side {
        Side::A => "A",
        Side::B => "B",
    }
}

/// The whole report.
#[function_component(ReportView)]
pub fn report_view(props: &ReportViewProps) -> Html {
    let report = &props.report;
    let nav = use_memo((), |_| NavCell::default());
    use_jk_navigation((*nav).clone());
    html! {
        <article class="report" data-testid="report">
            { verdict(report) }
            { causes(report) }
            { pcrs(report) }
            { layers(&report.layers) }
            <Files report={report.clone()} nav={(*nav).clone()} />
            { diagnostics(report) }
            <footer class="report-footer">{ format!("{} · report format {}", report.tool, report.version) }</footer>
        </article>
    }
}

/// The side that could be read when the other could not: its name, kind, measurements,
/// sections and PCR-file check, with no verdict (nothing to compare it with).
pub fn side_only(summary: &SideSummary) -> Html {
    let letter = side_letter(summary.side);
    let label = match summary.side {
        Side::A => "Local build",
        Side::B => "Deployed",
    };
    html! {
        <article class="report side-only" data-testid="side-summary" data-side={letter.to_lowercase()}>
            <section class="panel">
                <h2>{ format!("{label} ({letter}) on its own") }</h2>
                <p class="inputs">
                    <span class="badge" aria-hidden="true">{ letter }</span>{ " " }<code data-testid="side-name">{ summary.input.name.clone() }</code>
                    { format!(" ({} bytes) · ", summary.input.size) }<span data-testid="side-kind">{ summary.kind.clone() }</span>
                </p>
                <p class="note">{ "Not compared: the other image could not be read (see the error above). This is what this image holds." }</p>
            </section>
            <section class="panel">
                <h2>{ "Measurements" }</h2>
                if summary.pcrs.is_empty() {
                    <p class="muted">{ "A bare ramdisk has no measurements." }</p>
                } else {
                    <div class="table-scroll">
                        <table class="pcrs" data-testid="side-pcr-table">
                            <thead><tr><th>{ "PCR" }</th><th>{ letter }</th><th>{ "fed by" }</th></tr></thead>
                            <tbody>
                                { for summary.pcrs.iter().map(|p| html! {
                                    <tr data-testid={format!("pcr-{}", p.pcr)}>
                                        <th>{ p.pcr.clone() }</th>
                                        <td data-side={letter.to_lowercase()}><code class="hash">{ p.value.clone() }</code></td>
                                        <td>{ p.fed_by.join(", ") }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    </div>
                }
                { for summary.pcr_file.iter().map(pcr_file) }
            </section>
            <section class="panel">
                <h2>{ "Sections" }</h2>
                <div class="table-scroll">
                    <table class="fields" data-testid="side-sections">
                        <thead><tr><th>{ "section" }</th><th>{ "offset" }</th><th>{ "size" }</th><th>{ "holds" }</th></tr></thead>
                        <tbody>
                            { for summary.sections.iter().map(|s| html! {
                                <tr data-field={s.name.clone()}>
                                    <th>{ s.name.clone() }</th>
                                    <td><code>{ format!("{:#x}", s.offset) }</code></td>
                                    <td>{ format!("{} bytes", s.size) }</td>
                                    <td>{ s.detail.clone().unwrap_or_default() }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            </section>
        </article>
    }
}

fn verdict(report: &Rc<Report>) -> Html {
    let v = &report.verdict;
    let e = &report.entries;
    // Counted as found: a trimmed share link keeps fewer entries than these.
    let n = report.entry_totals();
    html! {
        <section id="verdict" class={classes!("verdict", verdict_class(v.kind))}>
            <div class="verdict-main">
                <h2 data-testid="verdict">{ v.headline.clone() }</h2>
                <p class="inputs">
                    <span class="badge" aria-hidden="true">{ "A" }</span>{ " " }<code>{ report.a.name.clone() }</code>
                    { format!(" ({} bytes)", report.a.size) }{ "  ·  " }
                    <span class="badge" aria-hidden="true">{ "B" }</span>{ " " }<code>{ report.b.name.clone() }</code>
                    { format!(" ({} bytes)", report.b.size) }
                </p>
                <p class="counts" data-testid="counts">
                    { format!("{} changed · {} added · {} removed · {} moved · {} equal entries",
                        n.changed, n.added, n.removed, n.moved, e.n_equal) }
                </p>
                if let Some(first) = &report.first_divergence {
                    <p>{ "First divergence: " }<a href={format!("#{}", anchor_id(&format!("layer:{first}")))}>{ first.clone() }</a></p>
                }
                if let Some(trimmed) = &report.trimmed {
                    <p class="note trimmed" data-testid="trimmed">{ trimmed.message() }</p>
                }
            </div>
            <Export report={report.clone()} />
        </section>
    }
}

fn confidence(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

fn causes(report: &Report) -> Html {
    html! {
        <section id="causes" class="panel">
            <h2>{ "Likely causes" }</h2>
            if report.causes.is_empty() && report.unexplained.is_empty() {
                <p>{ "Nothing to explain." }</p>
            }
            <ol class="causes" data-testid="causes">
                { for report.causes.iter().map(|cause| html! {
                    <li id={format!("cause-{}", anchor_id(&cause.id))} data-cause={cause.id.clone()}>
                        <h3>
                            { cause.title.clone() }{ " " }
                            <span class={classes!("conf", confidence(cause.confidence))}>{ format!("{} confidence", confidence(cause.confidence)) }</span>
                        </h3>
                        <p class="fix"><b>{ "Fix: " }</b>{ cause.fix.clone() }</p>
                        <ul class="evidence">
                            { for cause.evidence.iter().take(MAX_EVIDENCE).map(|ev| html! {
                                <li><a href={format!("#{}", anchor_id(&ev.anchor))}>{ ev.label.clone() }</a></li>
                            }) }
                        </ul>
                        if cause.evidence.len() > MAX_EVIDENCE {
                            <p class="note">{ format!("… and {} more (see Files)", cause.evidence.len() - MAX_EVIDENCE) }</p>
                        }
                    </li>
                }) }
            </ol>
            if !report.unexplained.is_empty() {
                <div class="unexplained">
                    <h3>{ "Not explained by any known cause" }</h3>
                    <ul>{ for report.unexplained.iter().take(MAX_EVIDENCE).map(|u| html! { <li>{ u.clone() }</li> }) }</ul>
                    if report.unexplained.len() > MAX_EVIDENCE {
                        <p class="note">{ format!("… and {} more", report.unexplained.len() - MAX_EVIDENCE) }</p>
                    }
                </div>
            }
        </section>
    }
}

fn pcr_value(value: &Option<String>) -> Html {
    match value {
        Some(hex) => html! { <code class="hash">{ hex.clone() }</code> },
        None => html! { <span class="muted">{ "—" }</span> },
    }
}

fn pcrs(report: &Report) -> Html {
    html! {
        <section id="pcrs" class="panel">
            <h2>{ "Measurements" }</h2>
            if report.measurements.is_empty() {
                <p class="muted">{ "Neither input has measurements (bare ramdisks)." }</p>
            } else {
                <div class="table-scroll">
                    <table class="pcrs" data-testid="pcr-table">
                        <thead><tr><th>{ "PCR" }</th><th>{ "A" }</th><th>{ "B" }</th><th>{ "equal" }</th><th>{ "fed by" }</th></tr></thead>
                        <tbody>
                            { for report.measurements.iter().map(|row| html! {
                                <tr id={anchor_id(&format!("pcr:{}", row.pcr))} class={if row.equal { "eq" } else { "ne" }}
                                    data-testid={format!("pcr-{}", row.pcr)}>
                                    <th>{ row.pcr.clone() }</th>
                                    <td data-side="a">{ pcr_value(&row.a) }</td>
                                    <td data-side="b">{ pcr_value(&row.b) }</td>
                                    <td>if row.equal { <span class="ok">{ "✓ equal" }</span> } else { <strong class="bad">{ format!("✗ {}", row.state_label()) }</strong> }</td>
                                    <td>
                                        { row.fed_by.join(", ") }
                                        if let Some(note) = &row.note { <br /><small class="muted">{ note.clone() }</small> }
                                    </td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
            { for report.pcr_files.iter().map(pcr_file) }
        </section>
    }
}

fn pcr_file(check: &PcrFileCheck) -> Html {
    let verdict = if check.matches { "matches" } else { "does not match" };
    html! {
        <div class={classes!("pcr-file", if check.matches { "ok" } else { "bad" })} data-testid="pcr-file-check">
            <p>
                <strong>{ if check.matches { "✓ " } else { "✗ " } }</strong>
                <code>{ check.file_name.clone() }</code>
                { format!(" ({}) {verdict} {}", check.format, side_letter(check.side)) }
            </p>
            if let Some(error) = &check.error { <p class="bad">{ error.clone() }</p> }
            if !check.matches && !check.rows.is_empty() {
                <table class="fields">
                    <thead><tr><th>{ "PCR" }</th><th>{ "in file" }</th><th>{ "measured" }</th></tr></thead>
                    <tbody>
                        { for check.rows.iter().map(|r| html! {
                            <tr class={if r.equal { "eq" } else { "ne" }}>
                                <th>{ r.pcr.clone() }</th>
                                <td><code class="hash">{ r.file.clone() }</code></td>
                                <td>{ pcr_value(&r.measured) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </div>
    }
}


/// Field changes as a table, A and B side by side.
pub(crate) fn field_table(changes: &[FieldChange]) -> Html {
    if changes.is_empty() {
        return Html::default();
    }
    fields_table("field", classes!("fields"), changes.iter().map(|c| (c.field.as_str(), c.a.as_str(), c.b.as_str())))
}

/// Fields A and B side by side under a `heading` column (one table for layers, entries and
/// the decoded headers inside content diffs).
pub(crate) fn fields_table<'a>(heading: &str, class: Classes, rows: impl Iterator<Item = (&'a str, &'a str, &'a str)>) -> Html {
    html! {
        <table class={class}>
            <thead><tr><th>{ heading.to_owned() }</th><th>{ "A" }</th><th>{ "B" }</th></tr></thead>
            <tbody>
                { for rows.map(|(field, a, b)| html! {
                    <tr data-field={field.to_owned()}>
                        <th>{ field.to_owned() }</th>
                        <td class="del"><code>{ a.to_owned() }</code></td>
                        <td class="ins"><code>{ b.to_owned() }</code></td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

fn layers(layers: &[Layer]) -> Html {
    html! {
        <section id="layers" class="panel">
            <h2>{ "Layers" }</h2>
            { for layers.iter().map(|layer| {
                let differs = !matches!(layer.status, LayerStatus::Equal | LayerStatus::Absent);
                let measured = if layer.measured.is_empty() { "not measured".to_owned() } else { format!("feeds {}", layer.measured.join(", ")) };
                html! {
                    <details id={anchor_id(&format!("layer:{}", layer.id))} open={differs}
                        class={classes!("layer", if differs { "ne" } else { "eq" })}
                        data-diff={differs.then_some("layer")} tabindex="-1">
                        <summary>
                            <span class={classes!("dot", if differs { "bad" } else { "ok" })} aria-hidden="true"></span>
                            <b>{ layer.title.clone() }</b>{ format!(" — {}", layer.status.label()) }
                            <small class="muted">{ format!(" ({measured})") }</small>
                            if layer.consequence_only { <small class="muted">{ " · a consequence of other differences" }</small> }
                        </summary>
                        { field_table(&layer.changes) }
                        { for layer.notes.iter().map(|n| html! { <p class="note">{ n.clone() }</p> }) }
                    </details>
                }
            }) }
        </section>
    }
}

fn diagnostics(report: &Report) -> Html {
    if report.diagnostics.is_empty() {
        return Html::default();
    }
    html! {
        <section id="diagnostics" class="panel">
            <h2>{ "Diagnostics" }</h2>
            <ul>
                { for report.diagnostics.iter().map(|d| html! {
                    <li>{ format!("{}: {}", side_letter(d.side), d.diagnostic) }</li>
                }) }
            </ul>
        </section>
    }
}
