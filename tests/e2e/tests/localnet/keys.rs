//! The CLI's keys as a Cosmos user has them: up.sh's test keyring holds the localnet's
//! accounts (`keys list`), `tx bank send dev15 …` signs from it; a key recovered into an
//! encrypted file keyring (mnemonic and passphrase piped) signs only with its passphrase, and a
//! wrong one is refused before anything is sent. Balances exact to the fee the CLI reports.
//! Uses its own account (dev15).

use anyhow::{Context, Result};
use glia_e2e::Network;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const DENOM: &str = "uglia";

use glia_e2e::gliad_bin as gliad;

/// Runs gliad with `env` (and none of the caller's GLIA_* keyring settings), feeding `stdin`.
fn run(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Result<Output> {
    let mut c = Command::new(gliad());
    c.args(args)
        .env_remove("GLIA_HOME")
        .env_remove("GLIA_KEYRING_BACKEND")
        .env_remove("GLIA_KEYRING_PASSPHRASE")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().context("running gliad")?;
    child.stdin.take().unwrap().write_all(stdin.as_bytes())?;
    Ok(child.wait_with_output()?)
}

fn ok(out: Output) -> Result<String> {
    let (o, e) = (
        String::from_utf8(out.stdout)?,
        String::from_utf8(out.stderr)?,
    );
    anyhow::ensure!(out.status.success(), "gliad failed: {o}{e}");
    Ok(o)
}

/// The fee a `tx bank send -o json` reports, in uglia.
fn fee(json: &str) -> Result<u128> {
    let v: Value = serde_json::from_str(json.trim())?;
    Ok(v["fee"]
        .as_str()
        .context("fee")?
        .trim_end_matches(DENOM)
        .parse()?)
}

#[test]
fn keys_sign_bank_sends_from_the_test_and_file_keyrings() -> Result<()> {
    let net = Network::load()?;
    let rpc = net.node(0);
    let network = net.run_dir().join("network.json");
    let network = network.to_str().unwrap();
    let localnet_home = net.run_dir().join("cli");
    let localnet_home = localnet_home.to_str().unwrap();
    let test_keys = [
        ("GLIA_HOME", localnet_home),
        ("GLIA_KEYRING_BACKEND", "test"),
        ("GLIA_NETWORK", network),
    ];

    // up.sh imported every development and operator account.
    let list: Vec<Value> =
        serde_json::from_str(&ok(run(&["keys", "list", "-o", "json"], &test_keys, "")?)?)?;
    for a in net.accounts.iter().chain(&net.operators) {
        assert!(
            list.iter()
                .any(|k| k["name"] == a.name.as_str() && k["address"] == a.address.as_str()),
            "{} missing from the localnet keyring: {list:?}",
            a.name
        );
    }

    // A user's own key in an encrypted keyring, recovered from a mnemonic piped with its
    // passphrase.
    let home = std::env::temp_dir().join(format!("glia-e2e-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let home_s = home.to_str().unwrap();
    let mnemonic = glia_client::keyring::new_mnemonic();
    let added: Value = serde_json::from_str(&ok(run(
        &[
            "keys",
            "add",
            "mine",
            "--recover",
            "-o",
            "json",
            "--home",
            home_s,
        ],
        &[],
        &format!("{mnemonic}\nhunter2hunter2\n"),
    )?)?)?;
    let mine = added["address"].as_str().context("address")?.to_string();
    assert_eq!(
        mine,
        glia_client::keys::Key::from_mnemonic(&mnemonic)?
            .address
            .to_bech32()
    );
    let text = std::fs::read_to_string(home.join("keyring-file/mine.json"))?;
    assert!(!text.contains(&mnemonic), "the mnemonic is stored in clear");

    // dev15 (test keyring) funds it through the CLI.
    let dev15 = net.wallet("dev15")?.address();
    let d0 = rpc.balance(&dev15, DENOM)?;
    let out = ok(run(
        &[
            "tx",
            "bank",
            "send",
            "dev15",
            &mine,
            "500000uglia",
            "-o",
            "json",
        ],
        &test_keys,
        "",
    )?)?;
    assert_eq!(rpc.balance(&dev15, DENOM)?, d0 - 500_000 - fee(&out)?);
    assert_eq!(rpc.balance(&mine, DENOM)?, 500_000);

    // The encrypted key signs only with its passphrase; a wrong one sends nothing.
    let sink = glia_client::keys::Key::from_seed(format!("keys sink {mine}").as_bytes())
        .address
        .to_bech32();
    let own = [("GLIA_HOME", home_s), ("GLIA_NETWORK", network)];
    let wrong = run(
        &["tx", "bank", "send", "mine", &sink, "1234uglia"],
        &[
            own[0],
            own[1],
            ("GLIA_KEYRING_PASSPHRASE", "not-the-passphrase"),
        ],
        "",
    )?;
    assert!(!wrong.status.success());
    let err = String::from_utf8(wrong.stderr)?;
    assert!(err.contains("wrong passphrase"), "{err}");
    assert_eq!(rpc.balance(&mine, DENOM)?, 500_000);
    // The passphrase on standard input, as a script pipes it; --from by address works too.
    let out = ok(run(
        &[
            "tx",
            "bank",
            "send",
            &mine,
            &sink,
            "1234uglia",
            "-o",
            "json",
        ],
        &own,
        "hunter2hunter2\n",
    )?)?;
    assert_eq!(rpc.balance(&sink, DENOM)?, 1234);
    assert_eq!(rpc.balance(&mine, DENOM)?, 500_000 - 1234 - fee(&out)?);

    // --gas as a fixed limit with a memo; --chain-id of another chain sends nothing.
    let d1 = rpc.balance(&dev15, DENOM)?;
    let out = ok(run(
        &[
            "tx",
            "bank",
            "send",
            "dev15",
            &sink,
            "5uglia",
            "--gas",
            "150000",
            "--note",
            "fixed gas",
            "-o",
            "json",
        ],
        &test_keys,
        "",
    )?)?;
    let v: Value = serde_json::from_str(out.trim())?;
    assert_eq!(v["gas_wanted"], "150000", "{v}");
    assert_eq!(fee(&out)?, 3750, "150000 gas at 0.025uglia");
    let tx = rpc.wait_tx(
        v["txhash"].as_str().context("txhash")?,
        std::time::Duration::from_secs(10),
    )?;
    assert!(
        tx["tx"].as_str().is_some_and(|b64| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .is_ok_and(|b| b.windows(9).any(|w| w == b"fixed gas"))
        }),
        "the memo is in the tx: {tx}"
    );
    assert_eq!(rpc.balance(&dev15, DENOM)?, d1 - 5 - 3750);
    let other = run(
        &[
            "tx",
            "bank",
            "send",
            "dev15",
            &sink,
            "5uglia",
            "--chain-id",
            "other-chain-1",
        ],
        &test_keys,
        "",
    )?;
    let err = String::from_utf8(other.stderr)?;
    assert!(
        !other.status.success() && err.contains("serves glia-local-1"),
        "{err}"
    );
    assert_eq!(rpc.balance(&dev15, DENOM)?, d1 - 5 - 3750);

    // Bad input: an unknown key, a bad amount, a bad recipient, each a clear error.
    for (args, want) in [
        (
            vec!["tx", "bank", "send", "nobody", sink.as_str(), "1uglia"],
            "no key \"nobody\"",
        ),
        (
            vec!["tx", "bank", "send", "dev15", sink.as_str(), "0uglia"],
            "positive",
        ),
        (
            vec!["tx", "bank", "send", "dev15", "glia1nothing", "1uglia"],
            "recipient",
        ),
        (
            vec![
                "tx",
                "bank",
                "send",
                "dev15",
                sink.as_str(),
                "1uglia",
                "--gas-adjustment",
                "0.5",
            ],
            "--gas-adjustment",
        ),
    ] {
        let out = run(&args, &test_keys, "")?;
        let err = String::from_utf8(out.stderr)?;
        assert!(
            !out.status.success() && err.contains(want),
            "{args:?}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&home);
    Ok(())
}
