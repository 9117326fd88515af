//! CLIP's byte-level BPE tokenizer, read from the diffusers layout (`tokenizer/vocab.json`
//! and `tokenizer/merges.txt`). Text is lowercased and split like CLIP's reference
//! implementation (Radford et al. 2021, `simple_tokenizer.py`): special tokens, English
//! contractions, letter runs, single digits, runs of other symbols; each word is mapped
//! byte-by-byte to printable characters, marked `</w>` at its end and merged by rank.

use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::path::Path;

pub const BOS: &str = "<|startoftext|>";
pub const EOS: &str = "<|endoftext|>";

#[derive(Clone)]
pub struct ClipTokenizer {
    vocab: HashMap<String, u32>,
    ranks: HashMap<(String, String), usize>,
    byte_chars: [char; 256],
    bos: u32,
    eos: u32,
    pad: u32,
    /// Sequence length the text encoder expects (77 for every SD family).
    pub max_len: usize,
}

/// GPT-2's reversible map from bytes to printable characters.
pub fn byte_chars() -> [char; 256] {
    let mut out = ['\0'; 256];
    let mut extra = 0u32;
    for b in 0..=255u8 {
        let printable = matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        out[b as usize] = if printable {
            char::from(b)
        } else {
            extra += 1;
            char::from_u32(255 + extra).expect("valid char")
        };
    }
    out
}

impl ClipTokenizer {
    /// Loads `vocab.json` and `merges.txt` from `dir`; `pad_with` names the padding token
    /// (SD 2.x pads with "!", SD 1.x with the end token).
    pub fn from_dir(dir: &Path, pad_with: Option<&str>, max_len: usize) -> Result<Self> {
        let vocab = std::fs::read_to_string(dir.join("vocab.json"))
            .context("reading tokenizer/vocab.json")?;
        let merges = std::fs::read_to_string(dir.join("merges.txt"))
            .context("reading tokenizer/merges.txt")?;
        Self::from_files(&vocab, &merges, pad_with, max_len)
    }

    /// The tokenizer of a `vocab.json` and a `merges.txt` given as text.
    pub fn from_files(
        vocab: &str,
        merges: &str,
        pad_with: Option<&str>,
        max_len: usize,
    ) -> Result<Self> {
        let vocab: HashMap<String, u32> = serde_json::from_str(vocab)
            .context("tokenizer/vocab.json is not a JSON object of token ids")?;
        let mut ranks = HashMap::new();
        for line in merges
            .lines()
            .filter(|l| !l.starts_with("#version") && !l.is_empty())
        {
            let (a, b) = line
                .split_once(' ')
                .with_context(|| format!("bad merge line {line:?}"))?;
            let r = ranks.len();
            ranks.entry((a.to_string(), b.to_string())).or_insert(r);
        }
        let id = |t: &str| {
            vocab
                .get(t)
                .copied()
                .with_context(|| format!("vocabulary lacks {t:?}"))
        };
        let (bos, eos) = (id(BOS)?, id(EOS)?);
        let pad = match pad_with {
            Some(p) => id(p)?,
            None => eos,
        };
        if max_len < 2 {
            bail!("max_len {max_len} leaves no room for the start and end tokens");
        }
        Ok(ClipTokenizer {
            vocab,
            ranks,
            byte_chars: byte_chars(),
            bos,
            eos,
            pad,
            max_len,
        })
    }

    /// Splits text into CLIP's pre-tokens.
    pub fn pre_tokenize(text: &str) -> Vec<String> {
        let text = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let chars: Vec<char> = text.chars().collect();
        let other = |c: char| !c.is_whitespace() && !c.is_alphabetic() && !c.is_numeric();
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let rest: String = chars[i..].iter().take(16).collect();
            if let Some(s) = [BOS, EOS].into_iter().find(|s| rest.starts_with(s)) {
                out.push(s.to_string());
                i += s.chars().count();
                continue;
            }
            if let Some(s) = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]
                .into_iter()
                .find(|s| rest.starts_with(s))
            {
                out.push(s.to_string());
                i += s.len();
                continue;
            }
            let c = chars[i];
            let run =
                |pred: &dyn Fn(char) -> bool| chars[i..].iter().take_while(|c| pred(**c)).count();
            let n = if c.is_whitespace() {
                i += 1;
                continue;
            } else if c.is_alphabetic() {
                run(&|c| c.is_alphabetic())
            } else if c.is_numeric() {
                1
            } else {
                run(&other)
            };
            out.push(chars[i..i + n].iter().collect());
            i += n;
        }
        out
    }

    fn bpe(&self, word: &str) -> Vec<String> {
        let mut parts: Vec<String> = word
            .bytes()
            .map(|b| self.byte_chars[b as usize].to_string())
            .collect();
        if let Some(last) = parts.last_mut() {
            last.push_str("</w>");
        }
        loop {
            let best = parts
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| {
                    self.ranks
                        .get(&(w[0].clone(), w[1].clone()))
                        .map(|r| (*r, i))
                })
                .min();
            let Some((_, i)) = best else { break };
            let merged = format!("{}{}", parts[i], parts[i + 1]);
            parts.splice(i..i + 2, [merged]);
        }
        parts
    }

    /// Token ids: start token, the text (truncated), end token, padding to `max_len`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids = vec![self.bos];
        for w in Self::pre_tokenize(text) {
            if w == BOS || w == EOS {
                continue;
            }
            for p in self.bpe(&w) {
                if let Some(id) = self.vocab.get(&p) {
                    ids.push(*id);
                }
            }
        }
        ids.truncate(self.max_len - 1);
        ids.push(self.eos);
        ids.resize(self.max_len, self.pad);
        ids
    }
}

/// A byte-level vocabulary with no merges: the embedded tiny model's tokenizer files.
pub fn byte_level_files() -> (String, String) {
    let chars = byte_chars();
    let mut vocab: Vec<(String, u32)> = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        vocab.push((c.to_string(), i as u32));
    }
    for (i, c) in chars.iter().enumerate() {
        vocab.push((format!("{c}</w>"), 256 + i as u32));
    }
    vocab.push((BOS.into(), 512));
    vocab.push((EOS.into(), 513));
    let map: serde_json::Map<String, serde_json::Value> =
        vocab.into_iter().map(|(k, v)| (k, v.into())).collect();
    (
        serde_json::to_string(&map).expect("vocab serializes"),
        "#version: 0.2\n".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_clip() {
        assert_eq!(
            ClipTokenizer::pre_tokenize("A  photo of 42 cats, isn't it?!"),
            ["a", "photo", "of", "4", "2", "cats", ",", "isn", "'t", "it", "?!"]
        );
    }

    fn tok(merges: &str) -> (tempdir::Dir, ClipTokenizer) {
        let d = tempdir::Dir::new();
        let (vocab, _) = byte_level_files();
        let mut v: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&vocab).unwrap();
        for (i, t) in ["ca", "cat</w>", "at</w>"].iter().enumerate() {
            v.insert(t.to_string(), (600 + i).into());
        }
        std::fs::write(d.0.join("vocab.json"), serde_json::to_string(&v).unwrap()).unwrap();
        std::fs::write(d.0.join("merges.txt"), merges).unwrap();
        let t = ClipTokenizer::from_dir(&d.0, None, 8).unwrap();
        (d, t)
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let p = std::env::temp_dir().join(format!("glia-tok-{}-{n}", std::process::id()));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn merges_apply_by_rank_and_sequences_are_framed() {
        // "a t</w>" ranks before "c a": "cat" becomes c + at</w>, not ca + t</w>.
        let (_d, t) = tok("#version: 0.2\na t</w>\nc a\nc at</w>\n");
        let ids = t.encode("cat");
        assert_eq!(ids, [512, 601, 513, 513, 513, 513, 513, 513]);
        // Without merges every byte is its own token, the last marked end-of-word.
        let (_d2, t2) = tok("#version: 0.2\n");
        assert_eq!(
            t2.encode("cat"),
            [512, 99, 97, 256 + 116, 513, 513, 513, 513]
        );
        // Truncation keeps the end token.
        assert_eq!(t2.encode("abcdefghijk").len(), 8);
        assert_eq!(t2.encode("abcdefghijk")[7], 513);
    }
}
