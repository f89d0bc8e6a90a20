//! The report, summary first: verdict banner, exports, ranked causes with evidence links, the
//! PCR table with PCR-file checks, layers, then the files with filter chips, search and a
//! "hide noise" switch, each changed entry with its fields side by side and its content diff.
//!
//! Rendered typed from [`Report`] with Yew text nodes (escape by construction). Every layer,
//! entry and PCR row carries the id [`anchor_id`] gives its anchor, the same ids the HTML
//! export uses, so `#entry-rootfs_2fetc…` permalinks and evidence links work. Elements marked
//! `data-diff` are the stops of the j / k keyboard shortcuts.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::components::content_diff::ContentDiffView;
use crate::app::components::export::Export;
use crate::app::hooks::use_jk_navigation;
use crate::report::html::verdict_class;
use crate::report::{anchor_id, ChangedEntry, Confidence, FieldChange, Layer, LayerStatus, PcrFileCheck, Report, Side};

#[derive(Properties, PartialEq)]
pub struct ReportViewProps {
    pub report: Rc<Report>,
}

/// Which list of files is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Changed,
    Added,
    Removed,
    Moved,
}

/// Changed-entry fields that are build noise on their own: hidden by "hide noise" when they are
/// all an entry differs in. Content, mode, ownership and type changes are never hidden.
const NOISE_FIELDS: [&str; 1] = ["mtime"];
/// Archive notes hidden by "hide noise" (bookkeeping, not a change of any file).
const NOISE_NOTES: [&str; 1] = ["inode-numbers"];

/// True when every differing field of `entry` is noise.
pub fn is_noise(entry: &ChangedEntry) -> bool {
    !entry.fields.is_empty() && entry.fields.iter().all(|f| NOISE_FIELDS.contains(&f.as_str()))
}

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
    use_jk_navigation();
    html! {
        <article class="report" data-testid="report">
            { verdict(report) }
            { causes(report) }
            { pcrs(report) }
            { layers(&report.layers) }
            <Files report={report.clone()} />
            { diagnostics(report) }
            <footer class="report-footer">{ format!("{} · report format {}", report.tool, report.version) }</footer>
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
                            { for cause.evidence.iter().map(|ev| html! {
                                <li><a href={format!("#{}", anchor_id(&ev.anchor))}>{ ev.label.clone() }</a></li>
                            }) }
                        </ul>
                    </li>
                }) }
            </ol>
            if !report.unexplained.is_empty() {
                <div class="unexplained">
                    <h3>{ "Not explained by any known cause" }</h3>
                    <ul>{ for report.unexplained.iter().map(|u| html! { <li>{ u.clone() }</li> }) }</ul>
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


fn field_table(changes: &[FieldChange]) -> Html {
    if changes.is_empty() {
        return Html::default();
    }
    html! {
        <table class="fields">
            <thead><tr><th>{ "field" }</th><th>{ "A" }</th><th>{ "B" }</th></tr></thead>
            <tbody>
                { for changes.iter().map(|c| html! {
                    <tr data-field={c.field.clone()}>
                        <th>{ c.field.clone() }</th>
                        <td class="del"><code>{ c.a.clone() }</code></td>
                        <td class="ins"><code>{ c.b.clone() }</code></td>
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

#[derive(Properties, PartialEq)]
struct FilesProps {
    report: Rc<Report>,
}

/// The file differences with their filters (a component: it owns the filter state).
#[function_component(Files)]
fn files(props: &FilesProps) -> Html {
    let filter = use_state(|| Filter::All);
    let query = use_state(String::new);
    let hide_noise = use_state(|| false);
    let e = &props.report.entries;

    let needle = query.to_lowercase();
    let matches = |path: &str| needle.is_empty() || path.to_lowercase().contains(&needle);
    let show = |f: Filter| *filter == Filter::All || *filter == f;
    let changed: Vec<&ChangedEntry> = e.changed.iter().filter(|c| matches(&c.path) && !(*hide_noise && is_noise(c))).collect();
    let added: Vec<_> = e.added.iter().filter(|r| matches(&r.path)).collect();
    let removed: Vec<_> = e.removed.iter().filter(|r| matches(&r.path)).collect();
    let moved: Vec<_> = e.moved.iter().filter(|m| matches(&m.from) || matches(&m.to)).collect();
    let n_noise = e.changed.iter().filter(|c| is_noise(c)).count();

    let chip = |f: Filter, label: &str, count: usize| {
        let filter = filter.clone();
        let pressed = *filter == f;
        html! {
            <button type="button" class={classes!("chip", pressed.then_some("on"))} aria-pressed={pressed.to_string()}
                data-testid={format!("filter-{}", label.to_lowercase())}
                onclick={Callback::from(move |_: MouseEvent| filter.set(f))}>
                { format!("{label} {count}") }
            </button>
        }
    };
    let on_search = {
        let query = query.clone();
        Callback::from(move |event: InputEvent| query.set(event.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_noise = {
        let hide_noise = hide_noise.clone();
        Callback::from(move |event: Event| hide_noise.set(event.target_unchecked_into::<HtmlInputElement>().checked()))
    };
    let entry_ref = |r: &crate::report::EntryRef, class: &'static str| html! {
        <li id={anchor_id(&format!("entry:{}", r.path))} class={classes!("entry-row", class)} data-diff={class} tabindex="-1">
            <span class={classes!("tag", class)}>{ class }</span>
            <code class="path">{ r.path.clone() }</code>
            <small class="muted">{ format!(" {} · {} bytes · ramdisk {}", r.kind, r.size, r.ramdisk) }</small>
            if !r.measured.is_empty() { <small class="muted">{ format!(" · feeds {}", r.measured.join(", ")) }</small> }
        </li>
    };

    html! {
        <section id="files" class="panel" data-testid="files">
            <h2>{ "Files" }</h2>
            <div class="toolbar">
                <div class="chips" role="group" aria-label="Show">
                    { chip(Filter::All, "All", e.changed.len() + e.added.len() + e.removed.len() + e.moved.len()) }
                    { chip(Filter::Changed, "Changed", e.changed.len()) }
                    { chip(Filter::Added, "Added", e.added.len()) }
                    { chip(Filter::Removed, "Removed", e.removed.len()) }
                    { chip(Filter::Moved, "Moved", e.moved.len()) }
                </div>
                <input type="search" class="search" placeholder="Filter paths…" aria-label="Filter paths"
                    data-testid="search" value={(*query).clone()} oninput={on_search} />
                <label class="switch">
                    <input type="checkbox" data-testid="hide-noise" checked={*hide_noise} onchange={on_noise} />
                    { format!(" Hide noise ({n_noise} mtime-only, inode notes)") }
                </label>
            </div>
            { for e.notes.iter().filter(|n| !(*hide_noise && NOISE_NOTES.contains(&n.id.as_str()))).map(|n| html! {
                <p class="note" data-note={n.id.clone()}>{ n.message.clone() }</p>
            }) }
            if !e.case_collisions.is_empty() {
                <p class="note">{ format!("Names differing only by letter case: {}", e.case_collisions.join(", ")) }</p>
            }
            if show(Filter::Changed) && !changed.is_empty() {
                <h3>{ format!("Changed ({})", changed.len()) }</h3>
                { for changed.iter().map(|c| changed_entry(c)) }
            }
            if show(Filter::Added) && !added.is_empty() {
                <h3>{ format!("Added ({})", added.len()) }</h3>
                <ul class="entry-list">{ for added.iter().map(|r| entry_ref(r, "added")) }</ul>
            }
            if show(Filter::Removed) && !removed.is_empty() {
                <h3>{ format!("Removed ({})", removed.len()) }</h3>
                <ul class="entry-list">{ for removed.iter().map(|r| entry_ref(r, "removed")) }</ul>
            }
            if show(Filter::Moved) && !moved.is_empty() {
                <h3>{ format!("Moved ({})", moved.len()) }</h3>
                <ul class="entry-list">
                    { for moved.iter().map(|m| html! {
                        <li id={anchor_id(&format!("entry:{}", m.to))} class="entry-row moved" data-diff="moved" tabindex="-1">
                            <span class="tag moved">{ "moved" }</span>
                            <code class="path">{ m.from.clone() }</code>{ " → " }<code class="path">{ m.to.clone() }</code>
                        </li>
                    }) }
                </ul>
            }
            if changed.is_empty() && added.is_empty() && removed.is_empty() && moved.is_empty() {
                <p class="muted">{ if e.changed.is_empty() && e.added.is_empty() && e.removed.is_empty() && e.moved.is_empty() {
                    "No file differs."
                } else {
                    "No difference matches the filter."
                } }</p>
            }
            <p class="muted">{ format!("{} entries compared, {} equal.", e.n_compared, e.n_equal) }</p>
        </section>
    }
}

fn changed_entry(entry: &ChangedEntry) -> Html {
    html! {
        <details class="entry" id={anchor_id(&format!("entry:{}", entry.path))} open=true data-diff="changed" tabindex="-1"
            data-testid="changed-entry">
            <summary>
                <span class="tag changed">{ "changed" }</span>
                <code class="path">{ entry.path.clone() }</code>
                { for entry.fields.iter().map(|f| html! { <span class="field-chip">{ f.clone() }</span> }) }
                if !entry.measured.is_empty() { <small class="muted">{ format!(" feeds {}", entry.measured.join(", ")) }</small> }
            </summary>
            { field_table(&entry.changes) }
            if !entry.signals.is_empty() {
                <p class="note">{ format!("Signals: {}", entry.signals.join(", ")) }</p>
            }
            if let Some(content) = &entry.content {
                <ContentDiffView content={content.clone()} />
            }
        </details>
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
