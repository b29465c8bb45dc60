//! Authoring as library functions: the festival, profile, resource and
//! event commands, requests and decisions, times as people type them, short
//! ids and the owner policies. The CLI, bots and tests call the same
//! functions.
//!
//! Every function works on a [`Session`]: a festival directory, opened with
//! its author key. Each command that publishes signs with that key through
//! the store's write lock, then rewrites the directory's `logs/` bundle, so
//! `logs/` always holds what the store holds.

mod commands;
mod decide;
mod error;
mod ids;
mod list;
mod session;
mod time;

pub use commands::{EventInput, FestivalInput, Place, ResourceInput};
pub use decide::{Decided, PendingLine};
pub use error::AuthorError;
pub use ids::{MIN_PREFIX, parse_kind, parse_policy};
pub use list::{Listing, ListingKind};
pub use session::Session;
pub(crate) use session::catch_up;
pub use time::{check_order, parse_duration, parse_time, parse_time_zone};
