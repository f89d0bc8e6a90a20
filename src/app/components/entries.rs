//! The file differences: filter chips, search and "hide noise" over the whole list, a
//! virtualised list of one-line rows, and the detail of the selected entry below it.
//!
//! The list is a scroll box holding a spacer as tall as all rows ([`ROW_PX`] each) and, inside
//! it, only the rows of the current window ([`window`]) shifted into place, so 100 000 entries
//! cost a few dozen DOM nodes. Sizes are set through CSSOM (`style.setProperty`), which the
//! page's Content-Security-Policy allows, unlike `style` attributes.
//!
//! Rows carry the export's element ids (`entry-…`), but an off-screen row is not in the DOM, so
//! permalinks are resolved here: on load and on every `hashchange`, an `#entry-…` fragment
//! selects that entry (clearing filters that hide it) and scrolls it into view. The j / k
//! shortcuts reach the list through the shared [`EntryNav`].

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

use crate::app::components::content_diff::ContentDiffView;
use crate::app::components::report_view::field_table;
use crate::report::rows::{find_anchor, is_noise, window, EntryKey, Filter, Group, Row, Rows, NOISE_NOTES};
use crate::report::{EntryChanges, FieldChange, Report};

/// Height of one row in CSS pixels; `.vrow` in www/style.css has the same.
pub const ROW_PX: f64 = 28.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 12;

/// What the j / k shortcuts need from the list; written by [`Files`] after every render.
#[derive(Default)]
pub struct EntryNav {
    /// Entries that pass the filter.
    pub count: usize,
    /// Position of the selected entry among them.
    pub selected: Option<usize>,
    /// True while the j / k position is in the list (not on a layer above it).
    pub active: bool,
    /// Selects entry `i` of the filtered list and scrolls it into view.
    pub select: Option<Callback<usize>>,
    /// Resolves an `entry-…` element id (a permalink).
    pub goto_anchor: Option<Callback<String>>,
}

/// The shared [`EntryNav`]; props compare it by identity.
#[derive(Clone, Default)]
pub struct NavCell(pub Rc<RefCell<EntryNav>>);

impl PartialEq for NavCell {
    fn eq(&self, other: &NavCell) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// A report compared by identity (a deep comparison of 100 000 entries per render is waste).
#[derive(Clone)]
struct SameReport(Rc<Report>);

impl PartialEq for SameReport {
    fn eq(&self, other: &SameReport) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
pub struct FilesProps {
    pub report: Rc<Report>,
    pub nav: NavCell,
}

/// A request to bring a row into view; `nonce` makes a repeated request for the same row count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Reveal {
    nonce: u32,
    row: Option<usize>,
}

/// The file differences with their filters and the selected entry's detail.
#[function_component(Files)]
pub fn files(props: &FilesProps) -> Html {
    let filter = use_state(Filter::default);
    let selected = use_state(|| None::<EntryKey>);
    let reveal = use_state(Reveal::default);
    // An anchor to select once the rows that contain it are computed.
    let pending = use_state(|| None::<String>);
    let report = SameReport(props.report.clone());
    let e = &props.report.entries;

    let rows: Rc<Rows> = use_memo((report.clone(), (*filter).clone()), |(report, filter)| Rows::new(&report.0.entries, filter));
    let selected_pos = selected.and_then(|key| rows.position(key));

    // Select the first changed entry when nothing is selected yet.
    {
        let selected = selected.clone();
        let rows = rows.clone();
        use_effect_with(report.clone(), move |_| {
            if selected.is_none() {
                selected.set(rows.entry(0));
            }
        });
    }

    let select = {
        let (selected, reveal, rows, nav) = (selected.clone(), reveal.clone(), rows.clone(), props.nav.clone());
        Callback::from(move |i: usize| {
            let Some(key) = rows.entry(i) else { return };
            nav.0.borrow_mut().active = true;
            selected.set(Some(key));
            reveal.set(Reveal { nonce: reveal.nonce.wrapping_add(1), row: rows.entries.get(i).copied() });
        })
    };
    let goto_anchor = {
        let (filter, pending, report, rows) = (filter.clone(), pending.clone(), report.clone(), rows.clone());
        Callback::from(move |anchor: String| {
            let Some(key) = find_anchor(&report.0.entries, &anchor) else { return };
            // Show everything again if the current filter hides the entry.
            if rows.position(key).is_none() {
                filter.set(Filter::default());
            }
            pending.set(Some(anchor));
        })
    };

    // Resolve a pending permalink once the rows hold it.
    {
        let (select, rows, report) = (select.clone(), rows.clone(), report.clone());
        let pending = pending.clone();
        use_effect_with(((*pending).clone(), rows.clone()), move |(anchor, _)| {
            if let Some(anchor) = anchor {
                let position = find_anchor(&report.0.entries, anchor).and_then(|key| rows.position(key));
                if let Some(i) = position {
                    pending.set(None);
                    select.emit(i);
                }
            }
        });
    }

    // Publish what j / k need.
    {
        let mut nav = props.nav.0.borrow_mut();
        nav.count = rows.entries.len();
        nav.selected = selected_pos;
        nav.select = Some(select.clone());
        nav.goto_anchor = Some(goto_anchor.clone());
    }

    // Permalinks: the fragment at load, and every later change of it.
    use_effect_with(props.nav.clone(), |nav| {
        let follow = {
            let nav = nav.clone();
            move || {
                let hash = gloo::utils::window().location().hash().unwrap_or_default();
                let anchor = hash.strip_prefix('#').unwrap_or(&hash).to_owned();
                if anchor.starts_with("entry-") {
                    let goto = nav.0.borrow().goto_anchor.clone();
                    if let Some(goto) = goto {
                        goto.emit(anchor);
                    }
                }
            }
        };
        follow();
        let listener = EventListener::new(&gloo::utils::window(), "hashchange", move |_| follow());
        move || drop(listener)
    });

    let chip = |group: Option<Group>, label: &str, count: usize| {
        let filter = filter.clone();
        let pressed = filter.group == group;
        html! {
            <button type="button" class={classes!("chip", pressed.then_some("on"))} aria-pressed={pressed.to_string()}
                data-testid={format!("filter-{}", label.to_lowercase())}
                onclick={Callback::from(move |_: MouseEvent| filter.set(Filter { group, ..(*filter).clone() }))}>
                { format!("{label} {count}") }
            </button>
        }
    };
    let on_search = {
        let filter = filter.clone();
        Callback::from(move |event: InputEvent| {
            let query = event.target_unchecked_into::<HtmlInputElement>().value();
            filter.set(Filter { query, ..(*filter).clone() });
        })
    };
    let on_noise = {
        let filter = filter.clone();
        Callback::from(move |event: Event| {
            let hide_noise = event.target_unchecked_into::<HtmlInputElement>().checked();
            filter.set(Filter { hide_noise, ..(*filter).clone() });
        })
    };
    let total: usize = Group::ALL.iter().map(|g| g.len(e)).sum();
    let n_noise = e.changed.iter().filter(|c| is_noise(c)).count();

    html! {
        <section id="files" class="panel" data-testid="files">
            <h2>{ "Files" }</h2>
            <div class="toolbar">
                <div class="chips" role="group" aria-label="Show">
                    { chip(None, "All", total) }
                    { for Group::ALL.iter().map(|&g| chip(Some(g), g.title(), g.len(e))) }
                </div>
                <input type="search" class="search" placeholder="Filter paths…" aria-label="Filter paths"
                    data-testid="search" value={filter.query.clone()} oninput={on_search} />
                <label class="switch">
                    <input type="checkbox" data-testid="hide-noise" checked={filter.hide_noise} onchange={on_noise} />
                    { format!(" Hide noise ({n_noise} mtime-only, inode notes)") }
                </label>
            </div>
            { for e.notes.iter().filter(|n| !(filter.hide_noise && NOISE_NOTES.contains(&n.id.as_str()))).map(|n| html! {
                <p class="note" data-note={n.id.clone()}>{ n.message.clone() }</p>
            }) }
            if !e.case_collisions.is_empty() {
                <p class="note">{ format!("Names differing only by letter case: {}", e.case_collisions.join(", ")) }</p>
            }
            if rows.entries.is_empty() {
                <p class="muted">{ if total == 0 { "No file differs." } else { "No difference matches the filter." } }</p>
            } else {
                <p class="muted shown" data-testid="shown-count">
                    { format!("{} of {} differences shown", rows.entries.len(), total) }
                </p>
                <VirtualRows report={report.clone()} rows={rows.clone()} selected={*selected} reveal={*reveal}
                    on_select={select.clone()} />
            }
            if let (Some(key), Some(_)) = (*selected, selected_pos) {
                <EntryDetail report={report.0.clone()} entry={key} />
            }
            <p class="muted">{ format!("{} entries compared, {} equal.", e.n_compared, e.n_equal) }</p>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct VirtualRowsProps {
    report: SameReport,
    rows: Rc<Rows>,
    selected: Option<EntryKey>,
    reveal: Reveal,
    /// Called with the position of a clicked entry among the entry rows.
    on_select: Callback<usize>,
}

/// Sets one CSS property of the element behind `node` (CSSOM; allowed by the page's CSP).
fn set_style(node: &NodeRef, property: &str, value: &str) {
    if let Some(el) = node.cast::<HtmlElement>() {
        let _ = el.style().set_property(property, value);
    }
}

/// The scroll box with the rows of its window.
#[function_component(VirtualRows)]
fn virtual_rows(props: &VirtualRowsProps) -> Html {
    let scroller = use_node_ref();
    let spacer = use_node_ref();
    let shown = use_node_ref();
    // (first rendered row, rows rendered): only changes when the window does.
    let range = use_state(|| window(0.0, 600.0, ROW_PX, props.rows.rows.len(), OVERSCAN));
    let total = props.rows.rows.len();

    let measure = {
        let (scroller, range) = (scroller.clone(), range.clone());
        move |total: usize| {
            let Some(el) = scroller.cast::<HtmlElement>() else { return };
            let next = window(f64::from(el.scroll_top()), f64::from(el.client_height()), ROW_PX, total, OVERSCAN);
            if next != *range {
                range.set(next);
            }
        }
    };
    let on_scroll = {
        let measure = measure.clone();
        Callback::from(move |_: Event| measure(total))
    };
    // Sizes after every render; the window again when the rows change.
    {
        let (spacer, shown) = (spacer.clone(), shown.clone());
        let start = range.0;
        use_effect(move || {
            set_style(&spacer, "height", &format!("{}px", total as f64 * ROW_PX));
            set_style(&shown, "transform", &format!("translateY({}px)", start as f64 * ROW_PX));
        });
    }
    {
        let measure = measure.clone();
        use_effect_with(props.rows.clone(), move |rows| measure(rows.rows.len()));
    }
    // Bring a requested row into view: scroll the box (centring it when it is outside), then
    // the page just enough to show the box, then focus the row once it is rendered.
    let focus_row = use_mut_ref(|| None::<usize>);
    {
        let (scroller, focus_row, measure) = (scroller.clone(), focus_row.clone(), measure.clone());
        use_effect_with(props.reveal, move |reveal| {
            let (Some(row), Some(el)) = (reveal.row, scroller.cast::<HtmlElement>()) else { return };
            let height = f64::from(el.client_height());
            let (top, bottom) = (row as f64 * ROW_PX, (row + 1) as f64 * ROW_PX);
            let scroll = f64::from(el.scroll_top());
            if top < scroll || bottom > scroll + height {
                el.set_scroll_top((top - (height - ROW_PX) / 2.0).max(0.0) as i32);
            }
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            el.scroll_into_view_with_scroll_into_view_options(&options);
            *focus_row.borrow_mut() = Some(row);
            measure(total);
        });
    }
    {
        let (scroller, focus_row) = (scroller.clone(), focus_row.clone());
        use_effect(move || {
            let Some(row) = *focus_row.borrow() else { return };
            let found = scroller
                .cast::<HtmlElement>()
                .and_then(|el| el.query_selector(&format!("[data-row=\"{row}\"]")).ok().flatten())
                .and_then(|el| el.dyn_into::<HtmlElement>().ok());
            if let Some(el) = found {
                *focus_row.borrow_mut() = None;
                let options = web_sys::FocusOptions::new();
                options.set_prevent_scroll(true);
                let _ = el.focus_with_options(&options);
            }
        });
    }

    let e = &props.report.0.entries;
    let (start, end) = *range;
    let (start, end) = (start.min(total), end.min(total));
    html! {
        <div class="vlist" ref={scroller} onscroll={on_scroll} role="list" data-testid="entry-list"
            data-rows={total.to_string()} tabindex="-1">
            <div class="vlist-spacer" ref={spacer}>
                <div class="vlist-window" ref={shown}>
                    { for props.rows.rows[start..end].iter().enumerate().map(|(offset, row)| {
                        let index = start + offset;
                        match *row {
                            Row::Heading(group, n) => html! {
                                <div class="vrow vhead" data-row={index.to_string()} role="presentation">
                                    { format!("{} ({n})", group.title()) }
                                </div>
                            },
                            Row::Entry(key) => entry_row(e, key, index, props),
                        }
                    }) }
                </div>
            </div>
        </div>
    }
}

fn entry_row(e: &EntryChanges, key: EntryKey, index: usize, props: &VirtualRowsProps) -> Html {
    let position = props.rows.entries.binary_search(&index).ok();
    let onclick = {
        let on_select = props.on_select.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = position {
                on_select.emit(i);
            }
        })
    };
    let selected = props.selected == Some(key);
    let name = key.group.name();
    let body = match key.group {
        Group::Changed => e.changed.get(key.index).map(|c| html! {
            <>
                <code class="path">{ c.path.clone() }</code>
                { for c.fields.iter().map(|f| html! { <span class="field-chip">{ f.clone() }</span> }) }
            </>
        }),
        Group::Added | Group::Removed => {
            let list = if key.group == Group::Added { &e.added } else { &e.removed };
            list.get(key.index).map(|r| html! {
                <>
                    <code class="path">{ r.path.clone() }</code>
                    <small class="muted">{ format!(" {} · {} bytes", r.kind, r.size) }</small>
                </>
            })
        }
        Group::Moved => e.moved.get(key.index).map(|m| html! {
            <><code class="path">{ m.from.clone() }</code>{ " → " }<code class="path">{ m.to.clone() }</code></>
        }),
    };
    let title = key.path(e).unwrap_or_default().to_owned();
    html! {
        <div id={key.anchor(e)} class={classes!("vrow", "entry-row", name, selected.then_some("selected"))}
            data-row={index.to_string()} data-kind={name} data-testid="entry-row" role="listitem"
            aria-selected={selected.to_string()} tabindex="-1" title={title} {onclick}>
            <span class={classes!("tag", name)}>{ name }</span>
            { body.unwrap_or_default() }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct EntryDetailProps {
    report: Rc<Report>,
    entry: EntryKey,
}

/// The selected entry: its fields side by side, then its content diff.
#[function_component(EntryDetail)]
fn entry_detail(props: &EntryDetailProps) -> Html {
    let e = &props.report.entries;
    let key = props.entry;
    let side_fields = |r: &crate::report::EntryRef, a: bool| {
        let one = |v: String| if a { (v, "—".to_string()) } else { ("—".to_string(), v) };
        [("kind", r.kind.clone()), ("size", format!("{} bytes", r.size)), ("ramdisk", r.ramdisk.to_string()), ("measured", r.measured.join(", "))]
            .into_iter()
            .map(|(field, v)| {
                let (a, b) = one(v);
                FieldChange { field: field.into(), a, b }
            })
            .collect::<Vec<_>>()
    };
    let (path, body) = match key.group {
        Group::Changed => match e.changed.get(key.index) {
            Some(c) => (c.path.clone(), html! {
                <>
                    <p class="muted">{ format!("{} · ramdisk {} → {}{}", c.kind, c.ramdisk_a, c.ramdisk_b,
                        if c.measured.is_empty() { String::new() } else { format!(" · feeds {}", c.measured.join(", ")) }) }</p>
                    { field_table(&c.changes) }
                    if !c.signals.is_empty() {
                        <p class="note">{ format!("Signals: {}", c.signals.join(", ")) }</p>
                    }
                    if let Some(content) = &c.content {
                        <ContentDiffView content={content.clone()} />
                    }
                </>
            }),
            None => return Html::default(),
        },
        Group::Added => match e.added.get(key.index) {
            Some(r) => (r.path.clone(), html! { <>{ field_table(&side_fields(r, false)) }<p class="note">{ "Only in B." }</p></> }),
            None => return Html::default(),
        },
        Group::Removed => match e.removed.get(key.index) {
            Some(r) => (r.path.clone(), html! { <>{ field_table(&side_fields(r, true)) }<p class="note">{ "Only in A." }</p></> }),
            None => return Html::default(),
        },
        Group::Moved => match e.moved.get(key.index) {
            Some(m) => (m.to.clone(), field_table(&[
                FieldChange { field: "path".into(), a: m.from.clone(), b: m.to.clone() },
                FieldChange { field: "ramdisk".into(), a: m.ramdisk_a.to_string(), b: m.ramdisk_b.to_string() },
            ])),
            None => return Html::default(),
        },
    };
    html! {
        <div class={classes!("entry-detail", key.group.name())} data-testid="entry-detail"
            data-entry={key.anchor(e)}>
            <h3>
                <span class={classes!("tag", key.group.name())}>{ key.group.name() }</span>
                <code class="path">{ path }</code>
            </h3>
            { body }
        </div>
    }
}
