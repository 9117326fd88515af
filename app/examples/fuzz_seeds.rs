//! Writes valid txs of the fuzz genesis into a corpus directory (used by fuzz/run.sh).
fn main() -> std::io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "corpus".into());
    std::fs::create_dir_all(&dir)?;
    for (i, (amount, memo)) in [(1u128, ""), (10, "hello"), (u128::MAX, "x")]
        .iter()
        .enumerate()
    {
        std::fs::write(
            format!("{dir}/seed{i}"),
            gliad::fuzzing::seed_tx(*amount, memo),
        )?;
    }
    Ok(())
}
