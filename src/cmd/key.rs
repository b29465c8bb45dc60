use std::process::ExitCode;

use anyhow::Context;
use pandafest::entry::{KeyPair, key_path};

use crate::cli::KeyAction;

pub fn run(action: KeyAction) -> anyhow::Result<ExitCode> {
    match action {
        KeyAction::New { dir } => {
            let key = KeyPair::generate()?;
            key.save(&key_path(&dir))?;
            println!("{}", key.public_key());
        }
        KeyAction::Show { dir } => {
            let path = key_path(&dir);
            let key = KeyPair::load(&path).with_context(|| {
                format!(
                    "no key in {}; make one with `pandafest key new`",
                    dir.display()
                )
            })?;
            println!("{}", key.public_key());
        }
    }
    Ok(ExitCode::SUCCESS)
}
