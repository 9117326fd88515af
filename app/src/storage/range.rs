//! Range scans from a key over a store that lists keys only by prefix, from the prefix's first
//! key on: cnidarium's verifiable store (its key column has no seek in the public API).
//!
//! Keys at or after `start` under `prefix` lie in the subtrees of `start`'s own prefixes: the
//! keys that start with all of `start`, then those that share one character less, and so on up
//! to `prefix`. A subtree is read from its first key, so the keys before `start` in it are read
//! and skipped; reading the smallest subtree that holds a page keeps that skip short. Subtrees
//! grow upwards by unknown amounts, so a binary search over the levels finds it: a read that
//! would skip more than a budget stops there (go deeper), a subtree that runs out before the
//! page is full has been taken whole (go shallower), and a subtree over the budget is read in
//! full only once the subtree one character deeper has run out. A page deep in a long listing
//! then costs a few short listings and one subtree's keys, not every key before it.

use anyhow::Result;

/// Keys a bounded read may skip before its subtree counts as too large: about what a listing
/// costs to start, in keys read.
const MIN_BUDGET: usize = 64;

/// How the read of one subtree ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// The page is full.
    Filled,
    /// Every key of the subtree has been seen.
    Exhausted,
    /// More keys before `start` (or already returned) than the budget allowed; nothing taken.
    OverBudget,
}

/// Takes the keys of one subtree's listing, in order, into the page.
pub struct Collector<'a> {
    start: &'a str,
    limit: usize,
    budget: Option<usize>,
    skipped: usize,
    out: &'a mut Vec<String>,
}

impl Collector<'_> {
    /// Offers the listing's next key; `Some` says to stop reading and why.
    pub fn offer(&mut self, key: String) -> Option<Read> {
        let seen = key.as_str() < self.start || self.out.last().is_some_and(|l| key <= *l);
        if seen {
            // A listing is in order, so skipped keys all come before the first taken one:
            // stopping here leaves the page as it was.
            self.skipped = self.skipped.saturating_add(1);
            return self
                .budget
                .is_some_and(|b| self.skipped > b)
                .then_some(Read::OverBudget);
        }
        self.out.push(key);
        (self.out.len() >= self.limit).then_some(Read::Filled)
    }
}

/// At most `limit` keys under `prefix` from `start` on, in order. `list(p, c)` offers every key
/// that starts with `p`, in order, to `c` until `c` says to stop, and returns how it ended;
/// it is called only with prefixes of `start` that extend `prefix` and that `usable` accepts
/// (the store lists them as part of `prefix`'s listing).
pub fn keys_from(
    prefix: &str,
    start: &str,
    limit: usize,
    usable: impl Fn(&str) -> bool,
    mut list: impl FnMut(&str, &mut Collector<'_>) -> Result<Read>,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let start = start.max(prefix);
    if limit == 0 || !start.starts_with(prefix) {
        return Ok(out);
    }
    // The deepest level at or below `l` that may be listed; `prefix` itself always may.
    let floor = |mut l: usize| {
        while l > prefix.len() && !(start.is_char_boundary(l) && usable(&start[..l])) {
            l = l.saturating_sub(1);
        }
        l.max(prefix.len())
    };
    let budget = limit.max(MIN_BUDGET);
    let mut read = |level: usize, bounded: bool, out: &mut Vec<String>| {
        let mut c = Collector {
            start,
            limit,
            budget: bounded.then_some(budget),
            skipped: 0,
            out,
        };
        list(&start[..level], &mut c)
    };
    let deepest = floor(start.len());
    if deepest == prefix.len() {
        read(deepest, false, &mut out)?;
        return Ok(out);
    }
    // The first pages: `start` among the prefix's first keys.
    if read(prefix.len(), true, &mut out)? != Read::OverBudget {
        return Ok(out);
    }
    // `done`: the deepest level (length of a prefix of `start`) whose subtree has been read
    // to its end; `over`: shallower levels known to hold more than the budget to skip, the
    // deepest last (a subtree over the budget stays so: the keys to skip only grow).
    let mut done = deepest;
    if read(done, false, &mut out)? == Read::Filled {
        return Ok(out);
    }
    let mut over = vec![prefix.len()];
    while let Some(&o) = over.last() {
        let mid = floor(o.saturating_add(done) / 2);
        if mid <= o {
            // The subtree one level deeper has run out: this one must be read.
            if read(o, false, &mut out)? == Read::Filled {
                return Ok(out);
            }
            done = o;
            over.pop();
            continue;
        }
        match read(mid, true, &mut out)? {
            Read::Filled => return Ok(out),
            Read::Exhausted => done = mid,
            Read::OverBudget => over.push(mid),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Lists a set's keys by prefix, counting listings and keys listed.
    fn lister<'s>(
        keys: &'s BTreeSet<String>,
        listings: &'s mut usize,
        listed: &'s mut usize,
    ) -> impl FnMut(&str, &mut Collector<'_>) -> Result<Read> + 's {
        move |p, c| {
            *listings += 1;
            for k in keys.range(p.to_string()..).take_while(|k| k.starts_with(p)) {
                *listed += 1;
                if let Some(r) = c.offer(k.clone()) {
                    return Ok(r);
                }
            }
            Ok(Read::Exhausted)
        }
    }

    fn expected(keys: &BTreeSet<String>, prefix: &str, start: &str, limit: usize) -> Vec<String> {
        keys.iter()
            .filter(|k| k.starts_with(prefix) && k.as_str() >= start)
            .take(limit)
            .cloned()
            .collect()
    }

    /// Random keys over a small alphabet (shared prefixes, keys that are prefixes of keys),
    /// random starts (keys, absent keys, before and past the prefix) and limits.
    #[test]
    fn agrees_with_a_filtered_full_listing() {
        let mut seed = 3u64;
        let mut next = move |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) % n as u64) as usize
        };
        let key = |next: &mut dyn FnMut(usize) -> usize| -> String {
            (0..1 + next(7))
                .map(|_| ['a', 'b', 'é', '/'][next(4)])
                .collect()
        };
        for _ in 0..300 {
            let keys: BTreeSet<String> = (0..next(200)).map(|_| key(&mut next)).collect();
            for _ in 0..30 {
                let prefix: String = key(&mut next).chars().take(next(3)).collect();
                let start = match next(3) {
                    0 => keys
                        .iter()
                        .nth(next(keys.len().max(1)))
                        .cloned()
                        .unwrap_or_default(),
                    1 => format!("{prefix}{}", key(&mut next)),
                    _ => key(&mut next),
                };
                let limit = next(12);
                let (mut a, mut b) = (0, 0);
                // Listings of prefixes with a 'b' after an 'é' are refused, as cnidarium's
                // listings that would route to a substore are.
                let usable = |p: &str| !p.contains("éb") || prefix.contains("éb");
                let mut list = lister(&keys, &mut a, &mut b);
                let got = keys_from(&prefix, &start, limit, usable, |p, c| {
                    assert!(usable(p), "listed {p:?}");
                    list(p, c)
                });
                assert_eq!(
                    got.unwrap(),
                    expected(&keys, &prefix, &start, limit),
                    "prefix {prefix:?} start {start:?} limit {limit}"
                );
            }
        }
    }

    /// A page deep in 100,000 hex-named keys reads a few hundred keys in a few listings, not
    /// the keys before it.
    #[test]
    fn a_deep_page_reads_little() {
        let keys: BTreeSet<String> = (0..100_000u64)
            .map(|i| {
                format!(
                    "x/{:040x}",
                    i.wrapping_mul(0x9e37_79b9_7f4a_7c15) as u128 * 7919
                )
            })
            .collect();
        let start = keys.iter().nth(70_000).unwrap().clone();
        let (mut listings, mut listed) = (0, 0);
        let list = lister(&keys, &mut listings, &mut listed);
        let got = keys_from("x/", &start, 100, |_| true, list).unwrap();
        assert_eq!(got, expected(&keys, "x/", &start, 100));
        assert!(listings <= 20, "{listings} listings");
        assert!(listed <= 2_000, "{listed} keys listed");
    }
}
