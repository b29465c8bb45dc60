//! pandafest publishes festivals that were planned peer to peer in signed,
//! append-only Bamboo logs.
//!
//! The pipeline: every source goes through [`ingest::ingest`] (strict
//! decoding, batch signature verification, fork detection, operation
//! validation) into the SQLite [`store::Store`]; [`materialize::materialize`]
//! turns the store into a plain festival model.
//!
//! ```
//! use pandafest::entry::KeyPair;
//! use pandafest::operation::{Fields, Operation, ProfileFields};
//! use pandafest::publish::Publisher;
//! use pandafest::store::Store;
//!
//! let mut store = Store::in_memory().unwrap();
//! let key = KeyPair::from_name("ada");
//! let mut publisher = Publisher::new(&mut store, &key);
//! let profile = Operation::create(Fields::Profile(ProfileFields {
//!     display_name: "Ada".into(),
//!     bio: String::new(),
//! }));
//! publisher.publish(0, &profile).unwrap();
//! let model = pandafest::materialize::materialize(&store).unwrap();
//! assert_eq!(model.people[&key.public_key()].display_name.as_deref(), Some("Ada"));
//! ```

#![warn(missing_docs)]

pub mod archive;
pub mod author;
pub mod bundle;
pub mod days;
pub mod entry;
pub mod feeds;
pub mod festival_dir;
pub mod fetch;
#[doc(hidden)]
pub mod fuzzing;
pub mod import;
pub mod ingest;
pub mod materialize;
pub mod operation;
pub mod output;
mod parallel;
pub mod pipeline;
pub mod publish;
mod random;
pub mod render;
pub mod replicate;
pub mod screen;
pub mod script;
pub mod serve;
pub mod settings;
pub mod staging;
pub mod store;
