//! Ids as people type them: the full document id, or a prefix of it that
//! is unique and at least [`MIN_PREFIX`] hex digits long (as git takes
//! short hashes); and the names of kinds and policies.

use super::AuthorError;
use super::session::Session;
use crate::entry::DocumentId;
use crate::operation::{Policy, ResourceKind, SchemaId};

/// The shortest id prefix accepted, in hex digits of the printed id
/// (`0020…`).
pub const MIN_PREFIX: usize = 12;

/// How many candidates an ambiguous prefix lists at most.
const CANDIDATES: usize = 10;

/// The printed form's fixed start: the YASMF hash type and length.
const YASMF: &str = "0020";

/// The name of a schema's documents, for messages.
pub(super) fn what(schema: SchemaId) -> &'static str {
    match schema {
        SchemaId::Festival => "festival",
        SchemaId::Profile => "profile",
        SchemaId::Resource => "resource",
        SchemaId::Event => "event",
        SchemaId::Authorization => "authorization",
    }
}

impl Session {
    /// Resolves `text` (a full id or a unique prefix of at least
    /// [`MIN_PREFIX`] hex digits) to a document of `schema`.
    ///
    /// Errors: [`AuthorError::UnknownId`] if no document of that schema
    /// matches (saying so when the id names another kind of document, or the
    /// prefix is too short), [`AuthorError::AmbiguousId`] listing the
    /// candidates with their titles.
    pub fn resolve(&self, schema: SchemaId, text: &str) -> Result<DocumentId, AuthorError> {
        let what = what(schema);
        let unknown = |hint: String| AuthorError::UnknownId {
            what,
            text: text.to_owned(),
            hint,
        };
        let digits = text.trim().to_ascii_lowercase();
        if digits.len() < MIN_PREFIX {
            return Err(unknown(format!(
                ": give the full id or at least {MIN_PREFIX} of its digits"
            )));
        }
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) || digits.len() > 68 {
            return Err(unknown(
                ": an id is hex digits, such as 0020ab12cd34…".into(),
            ));
        }
        let Some(rest) = digits.strip_prefix(YASMF) else {
            return Err(unknown(": document ids begin with 0020".into()));
        };
        let (low, high) = prefix_range(rest);
        let reader = self.dir.store.read();
        let found = reader.documents_in_range(schema, &low, &high, CANDIDATES + 1)?;
        match found.as_slice() {
            [one] => Ok(*one),
            [] => {
                // Name the kind it is, when it is another kind's id.
                let other = [
                    SchemaId::Festival,
                    SchemaId::Resource,
                    SchemaId::Event,
                    SchemaId::Profile,
                    SchemaId::Authorization,
                ]
                .into_iter()
                .filter(|s| *s != schema)
                .find(|s| {
                    reader
                        .documents_in_range(*s, &low, &high, 1)
                        .is_ok_and(|d| !d.is_empty())
                });
                Err(unknown(match other {
                    Some(other) => format!(", but a {} has", self::what(other)),
                    None => String::new(),
                }))
            }
            many => {
                let mut candidates: Vec<String> = many
                    .iter()
                    .take(CANDIDATES)
                    .map(|id| {
                        let title = self.title_of(id).unwrap_or_else(|_| "?".into());
                        format!("  {id}  {title}")
                    })
                    .collect();
                if many.len() > CANDIDATES {
                    candidates.push("  … and more: give more digits".into());
                }
                Err(AuthorError::AmbiguousId {
                    what,
                    text: text.to_owned(),
                    candidates: candidates.join("\n"),
                })
            }
        }
    }
}

/// The lowest and highest 32-byte hash that start with the hex digits
/// `prefix` (at most 64 of them).
fn prefix_range(prefix: &str) -> ([u8; 32], [u8; 32]) {
    let mut low = [0u8; 32];
    let mut high = [0xffu8; 32];
    for (i, digit) in prefix.bytes().enumerate() {
        let value = (digit as char).to_digit(16).expect("checked hex") as u8;
        let byte = i / 2;
        if i % 2 == 0 {
            low[byte] = value << 4;
            high[byte] = (value << 4) | 0x0f;
        } else {
            low[byte] |= value;
            high[byte] = (high[byte] & 0xf0) | value;
        }
    }
    (low, high)
}

/// Parses a resource kind: room, thing, tool, skill, money, url or other.
///
/// Errors: [`AuthorError::BadValue`] naming the kinds.
pub fn parse_kind(text: &str) -> Result<ResourceKind, AuthorError> {
    use ResourceKind::*;
    [Room, Thing, Tool, Skill, Money, Url, Other]
        .into_iter()
        .find(|k| k.as_str() == text)
        .ok_or_else(|| AuthorError::BadValue {
            flag: "--kind",
            text: text.to_owned(),
            reason: "expected room, thing, tool, skill, money, url or other".into(),
        })
}

/// Parses a policy: manual or first_come_first_served.
///
/// Errors: [`AuthorError::BadValue`] naming the policies.
pub fn parse_policy(text: &str) -> Result<Policy, AuthorError> {
    [Policy::Manual, Policy::FirstComeFirstServed]
        .into_iter()
        .find(|p| p.as_str() == text)
        .ok_or_else(|| AuthorError::BadValue {
            flag: "--policy",
            text: text.to_owned(),
            reason: "expected manual or first_come_first_served".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_covers_every_id_that_starts_with_it() {
        let (low, high) = prefix_range("ab1");
        assert_eq!(low[..2], [0xab, 0x10]);
        assert_eq!(high[..2], [0xab, 0x1f]);
        assert!(low[2..].iter().all(|b| *b == 0));
        assert!(high[2..].iter().all(|b| *b == 0xff));
        let (low, high) = prefix_range("");
        assert_eq!((low, high), ([0; 32], [0xff; 32]));
    }
}
