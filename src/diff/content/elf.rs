//! ELF comparator (object crate): header fields, sections by name with size and sha256 of their
//! data, the GNU build-id, and symbols added/removed. Names the "only the GNU build-id differs"
//! case as a [`SignalKind::BuildIdOnly`] signal.

use std::collections::{BTreeMap, BTreeSet};

use object::{Object, ObjectSection, ObjectSymbol};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    push_change, raw_bytes_child, text_or_binary, ComparatorKind, Ctx, DiffNode, FieldChange, Payload, SignalKind,
};
use crate::formats::bytes::escape_bytes;

const BUILD_ID_SECTION: &[u8] = b".note.gnu.build-id";
/// Sections whose data are NUL-separated strings, compared as text when they change.
const STRING_SECTIONS: [&[u8]; 3] = [b".comment", b".modinfo", b".interp"];
/// Largest string section compared as text.
const MAX_STRING_SECTION: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElfHeader {
    /// "elf32" or "elf64".
    pub class: String,
    pub endian: String,
    pub machine: String,
    pub file_type: String,
    pub entry: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionInfo {
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionChange {
    /// Escaped section name (with `#n` for the n-th repeat of a name).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<SectionInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<SectionInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElfDiff {
    pub header_a: ElfHeader,
    pub header_b: ElfHeader,
    pub header_changes: Vec<FieldChange>,
    /// Hex of the GNU build-id note's descriptor, when present.
    pub build_id_a: Option<String>,
    pub build_id_b: Option<String>,
    /// Sections added (`a` absent), removed (`b` absent) or changed.
    pub sections: Vec<SectionChange>,
    pub unchanged_sections: u64,
    pub omitted_sections: u64,
    pub symbols_added: Vec<String>,
    pub symbols_removed: Vec<String>,
    /// Added + removed symbols not listed.
    pub omitted_symbols: u64,
}

/// (section name, occurrence of that name) -> (summary, data kept for string sections)
type Sections = BTreeMap<(Vec<u8>, u32), (SectionInfo, Option<Vec<u8>>)>;

struct Parsed {
    header: ElfHeader,
    build_id: Option<String>,
    sections: Sections,
    order: Vec<(Vec<u8>, u32)>,
    symbols: BTreeSet<Vec<u8>>,
}

fn parse(data: &[u8]) -> Result<Parsed, String> {
    let file = object::File::parse(data).map_err(|e| format!("not a readable elf ({e})"))?;
    let header = ElfHeader {
        class: if file.is_64() { "elf64" } else { "elf32" }.to_string(),
        endian: if file.is_little_endian() { "little" } else { "big" }.to_string(),
        machine: format!("{:?}", file.architecture()).to_lowercase(),
        file_type: format!("{:?}", file.kind()).to_lowercase(),
        entry: file.entry(),
    };
    let build_id = file.build_id().ok().flatten().map(hex::encode);
    let mut sections = BTreeMap::new();
    let mut order = Vec::new();
    let mut seen: std::collections::HashMap<Vec<u8>, u32> = std::collections::HashMap::new();
    for section in file.sections() {
        let name = section.name_bytes().unwrap_or(b"<bad name>").to_vec();
        let bytes = section.data().unwrap_or(&[]);
        let info = SectionInfo { size: section.size(), sha256: hex::encode(Sha256::digest(bytes)) };
        let keep = (STRING_SECTIONS.contains(&name.as_slice()) && (bytes.len() as u64) <= MAX_STRING_SECTION)
            .then(|| bytes.to_vec());
        let count = seen.entry(name.clone()).or_insert(0);
        let n = *count;
        *count += 1;
        order.push((name.clone(), n));
        sections.insert((name, n), (info, keep));
    }
    let symbols = file
        .symbols()
        .chain(file.dynamic_symbols())
        .filter_map(|s| s.name_bytes().ok().filter(|n| !n.is_empty()).map(<[u8]>::to_vec))
        .collect();
    Ok(Parsed { header, build_id, sections, order, symbols })
}

fn section_label((name, n): &(Vec<u8>, u32)) -> String {
    if *n == 0 {
        escape_bytes(name)
    } else {
        format!("{}#{n}", escape_bytes(name))
    }
}

pub fn compare(ctx: &mut Ctx<'_>, name: &[u8], title: &str, a: &[u8], b: &[u8]) -> Result<DiffNode, String> {
    let pa = parse(a).map_err(|e| format!("a is {e}"))?;
    let pb = parse(b).map_err(|e| format!("b is {e}"))?;
    let mut node = DiffNode::new(ComparatorKind::Elf, name, title.to_string(), a, b);
    let max = ctx.opts.max_list_items;

    let mut header_changes = Vec::new();
    let (ha, hb) = (&pa.header, &pb.header);
    push_change(&mut header_changes, "class", &ha.class, &hb.class, String::clone);
    push_change(&mut header_changes, "endian", &ha.endian, &hb.endian, String::clone);
    push_change(&mut header_changes, "machine", &ha.machine, &hb.machine, String::clone);
    push_change(&mut header_changes, "file_type", &ha.file_type, &hb.file_type, String::clone);
    push_change(&mut header_changes, "entry", &ha.entry, &hb.entry, |e| format!("{e:#x}"));

    let mut sections = Vec::new();
    let (mut unchanged, mut omitted_sections) = (0u64, 0u64);
    let mut changed_names: Vec<Vec<u8>> = Vec::new();
    let mut string_children = Vec::new();
    let b_only = pb.order.iter().filter(|k| !pa.sections.contains_key(*k));
    for key in pa.order.iter().chain(b_only) {
        let (sa, sb) = (pa.sections.get(key), pb.sections.get(key));
        if let (Some((ia, _)), Some((ib, _))) = (sa, sb) {
            if ia == ib {
                unchanged += 1;
                continue;
            }
        }
        changed_names.push(key.0.clone());
        if let (Some((_, Some(da))), Some((_, Some(db)))) = (sa, sb) {
            string_children.push((key.clone(), da.clone(), db.clone()));
        }
        if sections.len() >= max {
            omitted_sections += 1;
            continue;
        }
        sections.push(SectionChange {
            name: section_label(key),
            a: sa.map(|(i, _)| i.clone()),
            b: sb.map(|(i, _)| i.clone()),
        });
    }

    let mut symbols_added = Vec::new();
    let mut symbols_removed = Vec::new();
    let mut omitted_symbols = 0u64;
    for s in pb.symbols.difference(&pa.symbols) {
        if symbols_added.len() < max {
            symbols_added.push(escape_bytes(s));
        } else {
            omitted_symbols += 1;
        }
    }
    for s in pa.symbols.difference(&pb.symbols) {
        if symbols_removed.len() < max {
            symbols_removed.push(escape_bytes(s));
        } else {
            omitted_symbols += 1;
        }
    }

    let build_id_only = header_changes.is_empty()
        && !changed_names.is_empty()
        && changed_names.iter().all(|n| n == BUILD_ID_SECTION)
        && symbols_added.is_empty()
        && symbols_removed.is_empty()
        && pa.build_id != pb.build_id;
    if build_id_only {
        let show = |id: &Option<String>| id.clone().unwrap_or_else(|| "none".to_string());
        node.comments.push("only the GNU build-id differs".to_string());
        ctx.signal(
            SignalKind::BuildIdOnly,
            format!(
                "all sections equal except .note.gnu.build-id: {} -> {}",
                show(&pa.build_id),
                show(&pb.build_id)
            ),
            true,
        );
    }
    let found_nothing =
        header_changes.is_empty() && changed_names.is_empty() && symbols_added.is_empty() && symbols_removed.is_empty();

    for ((sname, n), da, db) in string_children {
        let text = |d: &[u8]| -> Vec<u8> { d.iter().map(|&c| if c == 0 { b'\n' } else { c }).collect() };
        let label = section_label(&(sname.clone(), n));
        ctx.location.push(label.clone());
        let mut child = text_or_binary(ctx, &sname, label, &text(&da), &text(&db));
        ctx.location.pop();
        child.comments.insert(0, "section strings, NUL shown as newline".to_string());
        node.children.push(child);
    }
    if found_nothing {
        node.children.push(raw_bytes_child(ctx, name, "elf comparison", a, b));
    }
    node.payload = Payload::Elf(ElfDiff {
        header_a: pa.header,
        header_b: pb.header,
        header_changes,
        build_id_a: pa.build_id,
        build_id_b: pb.build_id,
        sections,
        unchanged_sections: unchanged,
        omitted_sections,
        symbols_added,
        symbols_removed,
        omitted_symbols,
    });
    Ok(node)
}
