//! PCR0/1/2/8 of an EIF, exactly as AWS computes them (EIF-FORMAT.md section 2).
//!
//! `E(x) = SHA384(48 zero bytes || SHA384(x))`. Payloads are concatenated in section order,
//! without headers or lengths: Kernel and Cmdline feed PCR0 and PCR1, the first Ramdisk feeds
//! PCR0 and PCR1, every later Ramdisk feeds PCR0 and PCR2, Metadata and Signature feed nothing;
//! PCR8 = E(DER of the signing certificate). [`PcrAccumulator`] is fed in chunks by the single
//! streaming pass in [`super::eif::read_eif`]; it clones the PCR0 state to finish PCR1 when PCR1's
//! input is a prefix of PCR0's (every known producer), and keeps a separate state otherwise.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha384};

use super::bytes::to_hex;
use super::eif::{Section, SectionKind};
use crate::diagnostics::Diagnostic;

/// E(empty): PCR2 of every single-ramdisk EIF.
pub const PCR_OF_EMPTY: &str =
    "21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c10edb30948c90ba67310f7b964fc500a";

/// `SHA384(48 zero bytes || digest)`: one TPM-style extend of a zeroed register.
pub fn extend_zero(digest: &[u8]) -> [u8; 48] {
    let mut h = Sha384::new();
    h.update([0u8; 48]);
    h.update(digest);
    h.finalize().into()
}

/// `E(x)` for bytes held in memory.
pub fn pcr_of_bytes(data: &[u8]) -> [u8; 48] {
    extend_zero(&Sha384::digest(data))
}

/// One measurement register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PcrText")]
pub struct Pcr {
    /// "PCR0", "PCR1", "PCR2" or "PCR8".
    pub name: String,
    /// 96 lowercase hex characters.
    pub hex: String,
    #[serde(skip)]
    pub raw: [u8; 48],
    /// Indices (offset-table slots) of the sections whose payloads feed this register.
    pub fed_by: Vec<usize>,
}

/// A [`Pcr`] as written by `Serialize`; `raw` is restored from `hex`.
#[derive(Deserialize)]
struct PcrText {
    name: String,
    hex: String,
    fed_by: Vec<usize>,
}

impl TryFrom<PcrText> for Pcr {
    type Error = String;
    fn try_from(text: PcrText) -> Result<Pcr, String> {
        let mut raw = [0u8; 48];
        hex::decode_to_slice(&text.hex, &mut raw).map_err(|err| format!("{}: not 96 hex digits ({err})", text.name))?;
        Ok(Pcr::new(&text.name, raw, text.fed_by))
    }
}

impl Pcr {
    fn new(name: &str, raw: [u8; 48], fed_by: Vec<usize>) -> Pcr {
        Pcr { name: name.to_string(), hex: to_hex(&raw), raw, fed_by }
    }
}

/// The PCRs an EIF pins, plus what to tell the user about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measurements {
    pub pcr0: Pcr,
    pub pcr1: Pcr,
    pub pcr2: Pcr,
    /// Only when the EIF is signed and its certificate decoded.
    pub pcr8: Option<Pcr>,
    pub n_ramdisks: usize,
    /// Exactly one ramdisk: PCR1 == PCR0 and PCR2 = E(empty).
    pub single_ramdisk: bool,
    /// False when a measured section is truncated, so the values are not what a loader would see.
    pub complete: bool,
    /// Plain-language remarks (single ramdisk, truncation).
    pub notes: Vec<String>,
}

impl Measurements {
    /// The register called `name` ("PCR0", …).
    pub fn get(&self, name: &str) -> Option<&Pcr> {
        match name {
            "PCR0" => Some(&self.pcr0),
            "PCR1" => Some(&self.pcr1),
            "PCR2" => Some(&self.pcr2),
            "PCR8" => self.pcr8.as_ref(),
            _ => None,
        }
    }
    /// All present registers in order.
    pub fn all(&self) -> Vec<&Pcr> {
        let mut out = vec![&self.pcr0, &self.pcr1, &self.pcr2];
        out.extend(self.pcr8.as_ref());
        out
    }
    /// Sets PCR8 = E(certificate DER), fed by the signature section `section_index`.
    pub fn set_pcr8(&mut self, certificate_der: &[u8], section_index: usize) {
        self.pcr8 = Some(Pcr::new("PCR8", pcr_of_bytes(certificate_der), vec![section_index]));
    }
    /// The notes as diagnostics.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.notes
            .iter()
            .map(|note| {
                if self.complete {
                    Diagnostic::info("pcr", None, note.clone())
                } else {
                    Diagnostic::warning("pcr", None, note.clone())
                }
            })
            .collect()
    }
}

/// Which registers one section feeds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PcrRoles {
    pub pcr0: bool,
    pub pcr1: bool,
    pub pcr2: bool,
}

/// Roles of each section, in table order (the first Ramdisk is the bootstrap one).
pub fn assign_roles(sections: &[Section]) -> Vec<PcrRoles> {
    let mut seen_ramdisk = false;
    sections
        .iter()
        .map(|s| match s.kind {
            SectionKind::Kernel | SectionKind::Cmdline => PcrRoles { pcr0: true, pcr1: true, pcr2: false },
            SectionKind::Ramdisk if !seen_ramdisk => {
                seen_ramdisk = true;
                PcrRoles { pcr0: true, pcr1: true, pcr2: false }
            }
            SectionKind::Ramdisk => PcrRoles { pcr0: true, pcr1: false, pcr2: true },
            _ => PcrRoles::default(),
        })
        .collect()
}

/// Streaming PCR0/1/2 state. Feed each section's payload, in table order, in any chunking.
#[derive(Clone)]
pub struct PcrAccumulator {
    roles: Vec<PcrRoles>,
    c0: Sha384,
    c2: Sha384,
    /// PCR1's input is a prefix of PCR0's: snapshot `c0` before the first PCR2-only byte.
    c1_is_prefix: bool,
    c1_snapshot: Option<Sha384>,
    c1_separate: Sha384,
}

impl PcrAccumulator {
    pub fn new(roles: &[PcrRoles]) -> PcrAccumulator {
        let first_pcr2 = roles.iter().position(|r| r.pcr2).unwrap_or(roles.len());
        let c1_is_prefix = !roles.iter().skip(first_pcr2).any(|r| r.pcr1);
        PcrAccumulator {
            roles: roles.to_vec(),
            c0: Sha384::new(),
            c2: Sha384::new(),
            c1_is_prefix,
            c1_snapshot: None,
            c1_separate: Sha384::new(),
        }
    }

    /// The one section (position in the section list) that feeds PCR2, when exactly one does:
    /// PCR2's input is then that section's bytes alone, and its SHA-384 is
    /// [`PcrAccumulator::pcr2_input_digest`].
    pub fn sole_pcr2_section(&self) -> Option<usize> {
        let mut feeding = self.roles.iter().enumerate().filter(|(_, r)| r.pcr2);
        let (i, _) = feeding.next()?;
        feeding.next().is_none().then_some(i)
    }

    /// SHA-384 of everything fed to PCR2 so far (before the extend).
    pub fn pcr2_input_digest(&self) -> [u8; 48] {
        self.c2.clone().finalize().into()
    }

    /// Feeds `data`, the next bytes of section `section` (position in the section list).
    pub fn feed(&mut self, section: usize, data: &[u8]) {
        let Some(roles) = self.roles.get(section).copied() else { return };
        if roles.pcr2 && self.c1_is_prefix && self.c1_snapshot.is_none() {
            self.c1_snapshot = Some(self.c0.clone());
        }
        if roles.pcr0 {
            self.c0.update(data);
        }
        if roles.pcr1 && !self.c1_is_prefix {
            self.c1_separate.update(data);
        }
        if roles.pcr2 {
            self.c2.update(data);
        }
    }

    /// Finishes the three registers.
    pub fn finish(self, sections: &[Section], roles: &[PcrRoles]) -> Measurements {
        let fed_by = |pick: fn(&PcrRoles) -> bool| -> Vec<usize> {
            sections.iter().zip(roles).filter(|(_, r)| pick(r)).map(|(s, _)| s.index).collect()
        };
        let c1 = if self.c1_is_prefix { self.c1_snapshot.unwrap_or_else(|| self.c0.clone()) } else { self.c1_separate };
        let pcr0 = Pcr::new("PCR0", extend_zero(&self.c0.finalize()), fed_by(|r| r.pcr0));
        let pcr1 = Pcr::new("PCR1", extend_zero(&c1.finalize()), fed_by(|r| r.pcr1));
        let pcr2 = Pcr::new("PCR2", extend_zero(&self.c2.finalize()), fed_by(|r| r.pcr2));
        let n_ramdisks = sections.iter().filter(|s| s.kind == SectionKind::Ramdisk).count();
        let single_ramdisk = n_ramdisks == 1;
        let measured: Vec<&Section> =
            sections.iter().zip(roles).filter(|(_, r)| r.pcr0 || r.pcr1 || r.pcr2).map(|(s, _)| s).collect();
        let complete = measured.iter().all(|s| s.is_complete());
        let mut notes = Vec::new();
        if single_ramdisk {
            notes.push(format!(
                "one ramdisk (section {}): pcr1 equals pcr0 and pcr2 is the hash of nothing ({}), so pcr2 says nothing about the application; compare pcr0",
                pcr1.fed_by.last().copied().unwrap_or(0),
                &PCR_OF_EMPTY[..16]
            ));
        }
        for s in measured.iter().filter(|s| !s.is_complete()) {
            notes.push(format!(
                "section {} ({}) is truncated ({} of {} bytes): pcrs are computed over the bytes present and will not match a complete image",
                s.index,
                s.kind.name().to_lowercase(),
                s.present_len,
                s.size
            ));
        }
        Measurements { pcr0, pcr1, pcr2, pcr8: None, n_ramdisks, single_ramdisk, complete, notes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcr_of_empty_is_the_known_value() {
        assert_eq!(to_hex(&pcr_of_bytes(b"")), PCR_OF_EMPTY);
    }
}
