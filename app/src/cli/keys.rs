//! `gliad keys add|import|list|show|delete`: the named keys every `tx` command signs with
//! (`--from NAME`), in a keyring under the CLI's home (`--home`, `GLIA_HOME`, default
//! `~/.glia`): backend `file` (the default: mnemonics encrypted with a passphrase) or `test`
//! (in clear, for development networks; `localnet/up.sh` imports the localnet's accounts into
//! one, and `localnet/gliad` uses it). The passphrase comes from `GLIA_KEYRING_PASSPHRASE`,
//! else a prompt on a terminal, else the next line of standard input (after the mnemonic for
//! `add --recover`), so scripts can pipe both.

use anyhow::{bail, Context, Result};
use glia_client::keyring::{new_mnemonic, Backend, KeyInfo, Keyring};
use glia_client::keys::Key;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

/// Where the keys are: the CLI's home and the keyring backend.
#[derive(Clone, Debug, clap::Args)]
pub struct KeyringArgs {
    /// Keyring backend: file (mnemonics encrypted with a passphrase) or test (in clear, for
    /// development networks).
    #[arg(
        long,
        value_name = "BACKEND",
        env = "GLIA_KEYRING_BACKEND",
        default_value = "file"
    )]
    pub keyring_backend: String,
    /// The CLI's home; keys live in <home>/keyring-<backend> [default: ~/.glia].
    #[arg(long = "home", value_name = "DIR", env = "GLIA_HOME")]
    pub home: Option<PathBuf>,
}

impl KeyringArgs {
    pub fn open(&self) -> Result<Keyring> {
        let backend = Backend::parse(&self.keyring_backend)?;
        let home = match &self.home {
            Some(h) => h.clone(),
            None => PathBuf::from(std::env::var_os("HOME").context(
                "no home directory: pass --home DIR (or set GLIA_HOME) for the keyring",
            )?)
            .join(".glia"),
        };
        Ok(Keyring::open(&home, backend))
    }
}

/// Text or JSON, as the SDK's `--output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
}

fn read_line(what: &str) -> Result<String> {
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("reading the {what} from standard input"))?;
    if n == 0 {
        bail!("no {what} on standard input");
    }
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// The keyring passphrase: GLIA_KEYRING_PASSPHRASE, a prompt on a terminal (twice when
/// `confirm`), or the next line of standard input.
pub fn passphrase(confirm: bool) -> Result<String> {
    if let Ok(p) = std::env::var("GLIA_KEYRING_PASSPHRASE") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("Enter keyring passphrase: ")?;
        if confirm && rpassword::prompt_password("Re-enter keyring passphrase: ")? != p {
            bail!("the two passphrases differ");
        }
        return Ok(p);
    }
    read_line("keyring passphrase")
}

/// The key `name` (or address) from the keyring, unsealed as its backend needs.
pub fn load(keyring: &Keyring, name: &str) -> Result<Key> {
    let pass = match keyring.backend() {
        Backend::File => Some(passphrase(false)?),
        Backend::Test => None,
    };
    keyring.key(name, pass.as_deref())
}

fn print(info: &KeyInfo, output: Output, mnemonic: Option<&str>) -> Result<()> {
    match output {
        Output::Json => {
            let mut v = serde_json::to_value(info)?;
            if let Some(m) = mnemonic {
                v["mnemonic"] = m.into();
            }
            println!("{v}");
        }
        Output::Text => {
            println!("- name: {}\n  type: {}\n  address: {}\n  pubkey: '{{\"@type\":\"/cosmos.crypto.secp256k1.PubKey\",\"key\":\"{}\"}}'",
                info.name, info.kind, info.address, info.pubkey);
            if let Some(m) = mnemonic {
                println!(
                    "\n**Important** write this mnemonic phrase in a safe place.\n\
                     It is the only way to recover your account if you ever forget your passphrase.\n\n{m}"
                );
            }
        }
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct AddArgs {
    /// The key's name (what --from takes).
    pub name: String,
    /// Recover the key from a BIP-39 mnemonic read from standard input, instead of making one.
    #[arg(long)]
    pub recover: bool,
    /// Replace a key of the same name.
    #[arg(long)]
    pub overwrite: bool,
    /// Output format: text or json.
    #[arg(long, short, value_enum, default_value = "text")]
    pub output: Output,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

/// `keys add`: a new key (its mnemonic printed once) or one recovered from a mnemonic.
pub fn add(a: AddArgs) -> Result<()> {
    let k = a.keyring.open()?;
    let (mnemonic, fresh) = if a.recover {
        if std::io::stdin().is_terminal() {
            eprintln!("> Enter your bip39 mnemonic");
        }
        (read_line("mnemonic")?, false)
    } else {
        (new_mnemonic(), true)
    };
    Key::from_mnemonic(&mnemonic).context("the mnemonic")?;
    let pass = match k.backend() {
        Backend::File => Some(passphrase(true)?),
        Backend::Test => None,
    };
    let info = k.add(&a.name, &mnemonic, pass.as_deref(), a.overwrite)?;
    print(&info, a.output, fresh.then_some(mnemonic.as_str()))
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The key's name.
    pub name: String,
    /// A file holding the key's BIP-39 mnemonic (read once, so `<(…)` works).
    pub file: PathBuf,
    /// Replace a key of the same name.
    #[arg(long)]
    pub overwrite: bool,
    /// Output format: text or json.
    #[arg(long, short, value_enum, default_value = "text")]
    pub output: Output,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

/// `keys import`: a key from a mnemonic file.
pub fn import(a: ImportArgs) -> Result<()> {
    let k = a.keyring.open()?;
    let mnemonic = std::fs::read_to_string(&a.file)
        .with_context(|| format!("reading {}", a.file.display()))?;
    let pass = match k.backend() {
        Backend::File => Some(passphrase(true)?),
        Backend::Test => None,
    };
    let info = k.add(&a.name, mnemonic.trim(), pass.as_deref(), a.overwrite)?;
    print(&info, a.output, None)
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// Output format: text or json.
    #[arg(long, short, value_enum, default_value = "text")]
    pub output: Output,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

/// `keys list`.
pub fn list(a: ListArgs) -> Result<()> {
    let keys = a.keyring.open()?.list()?;
    match a.output {
        Output::Json => println!("{}", serde_json::to_string(&keys)?),
        Output::Text if keys.is_empty() => println!("No records were found in keyring"),
        Output::Text => keys.iter().try_for_each(|k| print(k, Output::Text, None))?,
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct ShowArgs {
    /// The key's name or address.
    pub name: String,
    /// Print only the address.
    #[arg(long, short = 'a')]
    pub address: bool,
    /// Print only the validator operator address (gliavaloper…).
    #[arg(long)]
    pub bech: Option<String>,
    /// Output format: text or json.
    #[arg(long, short, value_enum, default_value = "text")]
    pub output: Output,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

/// `keys show`.
pub fn show(a: ShowArgs) -> Result<()> {
    let info = a.keyring.open()?.show(&a.name)?;
    match a.bech.as_deref() {
        None | Some("acc") => {}
        Some("val") => {
            let addr =
                glia_modules::address::Address::parse(&info.address).map_err(anyhow::Error::msg)?;
            println!("{}", addr.to_valoper());
            return Ok(());
        }
        Some(other) => bail!("--bech takes acc or val, not {other:?}"),
    }
    if a.address {
        println!("{}", info.address);
        return Ok(());
    }
    print(&info, a.output, None)
}

#[derive(clap::Args)]
pub struct DeleteArgs {
    /// The key's name or address.
    pub name: String,
    /// Delete without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

/// `keys delete`: asks first (a line `y` on standard input) unless --yes.
pub fn delete(a: DeleteArgs) -> Result<()> {
    let k = a.keyring.open()?;
    let info = k.show(&a.name)?;
    if !a.yes {
        eprint!(
            "Key reference {} ({}) will be deleted. Continue? [y/N]: ",
            info.name, info.address
        );
        let answer = read_line("answer").unwrap_or_default();
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            bail!("not deleted: answer y to delete, or pass --yes");
        }
    }
    k.delete(&info.name)?;
    eprintln!(
        "deleted key {} ({}) from {}",
        info.name,
        info.address,
        k.dir().display()
    );
    Ok(())
}
