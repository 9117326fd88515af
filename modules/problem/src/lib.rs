//! The problems a neuromorphic job carries, their text formats and their exact verification.
//!
//! Three formats (../shared/dmm.md): DIMACS CNF (SAT), WCNF (MaxSAT; the classic `p wcnf N M
//! TOP` form and the 2022 header-less `h`/weight form) and the Dynex SDK's `p qubo N M OFFSET`
//! text. Every parser is strict: a wrong header, a literal out of range, a missing `0`
//! terminator, counts that disagree with the body, sizes above the limits or non-numeric tokens
//! each give an error that names the line and the value.
//!
//! Energies are integers. QUBO coefficients are decimals in the text; at submission they are
//! scaled by 10^`decimals` (the smallest power that makes every coefficient whole) and the
//! scale is recorded with the job, so the chain and every solver compute the same energy.
//!
//! Consensus code (the chain parses and verifies with it): every arithmetic on values input can
//! reach is checked, enforced by the lint below (tests/run.sh runs clippy with `-D warnings`).
#![cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]

use std::fmt;

/// Which text format a problem is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Cnf,
    Wcnf,
    Qubo,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Cnf => "CNF",
            Format::Wcnf => "WCNF",
            Format::Qubo => "QUBO",
        }
    }
}

/// Bounds a parser enforces before it allocates, so absurd headers cost nothing.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_vars: u32,
    /// Clauses (CNF, WCNF) or terms (QUBO).
    pub max_clauses: u32,
    /// Literals over all clauses.
    pub max_literals: u64,
}

impl Limits {
    /// What `gliad solve` accepts from a local file: large, but bounded.
    pub const LOCAL: Limits = Limits {
        max_vars: 50_000_000,
        max_clauses: 200_000_000,
        max_literals: 1_000_000_000,
    };
}

/// At most this many decimals in a QUBO coefficient (scale 10^9).
pub const MAX_QUBO_DECIMALS: u32 = 9;
/// Total absolute weight of a problem stays below this, so every energy fits an i64.
pub const MAX_TOTAL_WEIGHT: u128 = 1 << 62;

/// A parse error: the 1-based line and what is wrong there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.msg)
        } else {
            write!(f, "line {}: {}", self.line, self.msg)
        }
    }
}

impl std::error::Error for ParseError {}

fn err<T>(line: usize, msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        line,
        msg: msg.into(),
    })
}

/// Clauses in flat, struct-of-arrays form: clause `m` holds the DIMACS literals
/// `lits[starts[m]..starts[m + 1]]` (±variable, 1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clauses {
    pub num_vars: u32,
    pub lits: Vec<i32>,
    /// `num_clauses + 1` offsets into `lits`.
    pub starts: Vec<u32>,
    /// Weight of each clause: 1 for CNF; the soft weight for WCNF; for a hard WCNF clause,
    /// 1 + the total soft weight (violating it always costs more than all soft clauses).
    pub weights: Vec<u64>,
    /// Hard clauses must all hold for an assignment to be valid (every CNF clause is hard).
    pub hard: Vec<bool>,
}

impl Clauses {
    pub fn num_clauses(&self) -> usize {
        self.weights.len()
    }

    pub fn clause(&self, m: usize) -> &[i32] {
        &self.lits[self.starts[m] as usize..self.starts[m.saturating_add(1)] as usize]
    }

    fn satisfied(&self, m: usize, x: &[bool]) -> bool {
        self.clause(m)
            .iter()
            .any(|&l| x[(l.unsigned_abs() as usize).saturating_sub(1)] == (l > 0))
    }

    /// Indices of the clauses `x` leaves unsatisfied, in order.
    pub fn unsatisfied(&self, x: &[bool]) -> impl Iterator<Item = usize> + '_ {
        let x = x.to_vec();
        (0..self.num_clauses()).filter(move |&m| !self.satisfied(m, &x))
    }
}

/// A QUBO: minimise Σ w·x_i·x_j + offset over x ∈ {0,1}^N, in units of 10^-`decimals`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qubo {
    pub num_vars: u32,
    /// (i, j, w) with i ≤ j (0-based), sorted, one entry per pair, w ≠ 0; i == j is linear.
    pub terms: Vec<(u32, u32, i64)>,
    pub offset: i64,
    pub decimals: u32,
}

impl Qubo {
    /// The same objective as weighted 2-clauses plus a constant (Dynex SDK, formula 2): for
    /// every x, `qubo.energy(x) == clause_energy(x) + constant`.
    pub fn to_clauses(&self) -> (Clauses, i64) {
        let mut c = Clauses {
            num_vars: self.num_vars,
            lits: Vec::new(),
            starts: vec![0],
            weights: Vec::new(),
            hard: Vec::new(),
        };
        let mut constant = self.offset;
        let push = |c: &mut Clauses, lits: &[i32], w: u64| {
            c.lits.extend_from_slice(lits);
            c.starts.push(c.lits.len() as u32);
            c.weights.push(w);
            c.hard.push(false);
        };
        for &(i, j, w) in &self.terms {
            // Indices are below num_vars, which the parser bounds far below i32::MAX.
            let (a, b) = ((i as i32).saturating_add(1), (j as i32).saturating_add(1));
            let mag = w.unsigned_abs();
            match (i == j, w > 0) {
                (true, true) => push(&mut c, &[a.saturating_neg()], mag),
                (true, false) => {
                    push(&mut c, &[a], mag);
                    // Weights and offset add up to less than 2^62 (checked at parse time).
                    constant = constant.saturating_add(w);
                }
                (false, true) => push(&mut c, &[a.saturating_neg(), b.saturating_neg()], mag),
                (false, false) => {
                    push(&mut c, &[a, b], mag);
                    push(&mut c, &[a.saturating_neg(), b], mag);
                    push(&mut c, &[a, b.saturating_neg()], mag);
                    constant = constant.saturating_add(w);
                }
            }
        }
        (c, constant)
    }
}

/// A parsed problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Sat(Clauses),
    MaxSat(Clauses),
    Qubo(Qubo),
}

/// Why an assignment is not a valid candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    Length { expected: usize, got: usize },
    PaddingBits,
    HardClauseViolated { clause: usize },
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Length { expected, got } => write!(
                f,
                "assignment is {got} bytes, but the problem's variables need {expected} (one bit each)"
            ),
            VerifyError::PaddingBits => {
                write!(f, "assignment sets bits beyond the last variable")
            }
            VerifyError::HardClauseViolated { clause } => {
                write!(f, "hard clause {} (1-based) is not satisfied", clause.saturating_add(1))
            }
        }
    }
}

impl std::error::Error for VerifyError {}

impl Problem {
    pub fn parse(format: Format, text: &str, limits: &Limits) -> Result<Problem, ParseError> {
        match format {
            Format::Cnf => parse_cnf(text, limits).map(Problem::Sat),
            Format::Wcnf => parse_wcnf(text, limits).map(Problem::MaxSat),
            Format::Qubo => parse_qubo(text, limits).map(Problem::Qubo),
        }
    }

    pub fn format(&self) -> Format {
        match self {
            Problem::Sat(_) => Format::Cnf,
            Problem::MaxSat(_) => Format::Wcnf,
            Problem::Qubo(_) => Format::Qubo,
        }
    }

    pub fn num_vars(&self) -> u32 {
        match self {
            Problem::Sat(c) | Problem::MaxSat(c) => c.num_vars,
            Problem::Qubo(q) => q.num_vars,
        }
    }

    /// The size the chain charges and ranks by: literals plus clauses, or terms.
    pub fn size(&self) -> u64 {
        match self {
            Problem::Sat(c) | Problem::MaxSat(c) => {
                c.lits.len().saturating_add(c.num_clauses()) as u64
            }
            Problem::Qubo(q) => (q.terms.len() as u64).saturating_add(u64::from(q.num_vars)),
        }
    }

    /// The energy of `x`: unsatisfied clauses (SAT), unsatisfied soft weight (MaxSAT; every
    /// hard clause must hold), or xᵀQx + offset in scaled units (QUBO). Lower is better; a
    /// SAT assignment solves its problem at energy 0.
    pub fn energy(&self, x: &[bool]) -> Result<i64, VerifyError> {
        if x.len() != self.num_vars() as usize {
            return Err(VerifyError::Length {
                expected: self.num_vars() as usize,
                got: x.len(),
            });
        }
        match self {
            Problem::Sat(c) => Ok(c.unsatisfied(x).count() as i64),
            Problem::MaxSat(c) => {
                let mut e: i64 = 0;
                for m in 0..c.num_clauses() {
                    if !c.satisfied(m, x) {
                        if c.hard[m] {
                            return Err(VerifyError::HardClauseViolated { clause: m });
                        }
                        // The weights add up to less than 2^62 (checked at parse time).
                        e = e.saturating_add(c.weights[m] as i64);
                    }
                }
                Ok(e)
            }
            Problem::Qubo(q) => {
                let mut e = q.offset;
                for &(i, j, w) in &q.terms {
                    if x[i as usize] && x[j as usize] {
                        e = e.saturating_add(w);
                    }
                }
                Ok(e)
            }
        }
    }

    /// The energy of a bit-packed assignment (see [`unpack`]).
    pub fn energy_packed(&self, bits: &[u8]) -> Result<i64, VerifyError> {
        self.energy(&unpack(bits, self.num_vars())?)
    }

    /// The weighted clauses a DMM integrates, and the constant to add to their energy.
    pub fn clauses(&self) -> (std::borrow::Cow<'_, Clauses>, i64) {
        match self {
            Problem::Sat(c) | Problem::MaxSat(c) => (std::borrow::Cow::Borrowed(c), 0),
            Problem::Qubo(q) => {
                let (c, k) = q.to_clauses();
                (std::borrow::Cow::Owned(c), k)
            }
        }
    }
}

/// Packs an assignment one bit per variable, variable 1 in bit 0 of byte 0.
pub fn pack(x: &[bool]) -> Vec<u8> {
    let mut out = vec![0u8; x.len().div_ceil(8)];
    for (i, &b) in x.iter().enumerate() {
        if b {
            out[i / 8] |= 1 << (i % 8);
        }
    }
    out
}

/// Unpacks `n` variables; the length must be exactly ⌈n/8⌉ bytes and unused bits zero, so
/// each assignment has one encoding.
pub fn unpack(bits: &[u8], n: u32) -> Result<Vec<bool>, VerifyError> {
    let n = n as usize;
    if bits.len() != n.div_ceil(8) {
        return Err(VerifyError::Length {
            expected: n.div_ceil(8),
            got: bits.len(),
        });
    }
    if !n.is_multiple_of(8) && bits[n / 8] >> (n % 8) != 0 {
        return Err(VerifyError::PaddingBits);
    }
    Ok((0..n).map(|i| bits[i / 8] >> (i % 8) & 1 == 1).collect())
}

/// Lines with their 1-based numbers, comments (`c`) and blank lines skipped; a SATLIB-style
/// `%` line ends the input.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i.saturating_add(1), l.trim()))
        .take_while(|(_, l)| !l.starts_with('%'))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('c'))
}

fn number<T: std::str::FromStr>(line: usize, tok: &str, what: &str) -> Result<T, ParseError> {
    tok.parse::<T>()
        .or_else(|_| err(line, format!("{what} {tok:?} is not a number in range")))
}

struct Header {
    line: usize,
    vars: u32,
    count: u32,
    rest: Vec<String>,
}

fn header(line: usize, l: &str, kind: &str, limits: &Limits) -> Result<Header, ParseError> {
    let toks: Vec<&str> = l.split_whitespace().collect();
    if toks.len() < 4 || toks[0] != "p" || toks[1] != kind {
        return err(
            line,
            format!("expected the header \"p {kind} <variables> <count> …\", found {l:?}"),
        );
    }
    let vars: u64 = number(line, toks[2], "variable count")?;
    let count: u64 = number(line, toks[3], "clause/term count")?;
    if vars == 0 {
        return err(line, "the header declares 0 variables");
    }
    if vars > u64::from(limits.max_vars) {
        return err(
            line,
            format!("{vars} variables is above the limit of {}", limits.max_vars),
        );
    }
    if count > u64::from(limits.max_clauses) {
        return err(
            line,
            format!(
                "{count} clauses/terms is above the limit of {}",
                limits.max_clauses
            ),
        );
    }
    Ok(Header {
        line,
        vars: vars as u32,
        count: count as u32,
        rest: toks[4..].iter().map(|s| s.to_string()).collect(),
    })
}

/// Accumulates clauses of literal tokens that end in `0`, possibly across lines.
struct ClauseBuilder {
    c: Clauses,
    open: bool,
    open_line: usize,
    max_vars: u32,
    max_literals: u64,
    /// When false (header-less WCNF), variables grow up to `max_vars`.
    fixed_vars: bool,
}

impl ClauseBuilder {
    fn new(vars: u32, cap: u32, limits: &Limits, fixed_vars: bool) -> Self {
        let cap = cap.min(1 << 20) as usize;
        ClauseBuilder {
            c: Clauses {
                num_vars: vars,
                lits: Vec::with_capacity(cap.saturating_mul(3)),
                starts: {
                    let mut v = Vec::with_capacity(cap.saturating_add(1));
                    v.push(0);
                    v
                },
                weights: Vec::with_capacity(cap),
                hard: Vec::with_capacity(cap),
            },
            open: false,
            open_line: 0,
            max_vars: if fixed_vars { vars } else { limits.max_vars },
            max_literals: limits.max_literals,
            fixed_vars,
        }
    }

    /// Feeds literal tokens; calls `on_close` when a clause ends. Returns whether one closed.
    fn literal(&mut self, line: usize, tok: &str) -> Result<bool, ParseError> {
        let lit: i64 = number(line, tok, "literal")?;
        if lit == 0 {
            if !self.open {
                return err(line, "empty clause (a lone 0): it can never be satisfied");
            }
            self.c.starts.push(self.c.lits.len() as u32);
            self.open = false;
            return Ok(true);
        }
        let var = lit.unsigned_abs();
        if var > u64::from(self.max_vars) {
            return if self.fixed_vars {
                err(
                    line,
                    format!(
                        "literal {lit} is out of range: the header declares {} variables",
                        self.max_vars
                    ),
                )
            } else {
                err(
                    line,
                    format!(
                        "literal {lit} is above the variable limit of {}",
                        self.max_vars
                    ),
                )
            };
        }
        if self.c.lits.len() as u64 >= self.max_literals {
            return err(
                line,
                format!("more than {} literals in all", self.max_literals),
            );
        }
        if !self.fixed_vars {
            self.c.num_vars = self.c.num_vars.max(var as u32);
        }
        if !self.open {
            self.open = true;
            self.open_line = line;
        }
        self.c.lits.push(lit as i32);
        Ok(false)
    }

    fn finish(self) -> Result<Clauses, ParseError> {
        if self.open {
            return err(self.open_line, "the last clause has no terminating 0");
        }
        Ok(self.c)
    }
}

fn parse_cnf(text: &str, limits: &Limits) -> Result<Clauses, ParseError> {
    let mut it = lines(text);
    let Some((hl, l)) = it.next() else {
        return err(0, "no \"p cnf\" header: the input is empty");
    };
    let h = header(hl, l, "cnf", limits)?;
    if !h.rest.is_empty() {
        return err(
            h.line,
            format!(
                "unexpected tokens after \"p cnf N M\": {:?}",
                h.rest.join(" ")
            ),
        );
    }
    let mut b = ClauseBuilder::new(h.vars, h.count, limits, true);
    for (line, l) in it {
        for tok in l.split_whitespace() {
            if b.literal(line, tok)? {
                if b.c.weights.len() as u32 == h.count {
                    return err(
                        line,
                        format!("more clauses than the {} the header declares", h.count),
                    );
                }
                b.c.weights.push(1);
                b.c.hard.push(true);
            }
        }
    }
    let c = b.finish()?;
    if c.num_clauses() as u32 != h.count {
        return err(
            h.line,
            format!(
                "the header declares {} clauses but the body has {}",
                h.count,
                c.num_clauses()
            ),
        );
    }
    Ok(c)
}

fn parse_wcnf(text: &str, limits: &Limits) -> Result<Clauses, ParseError> {
    let mut it = lines(text).peekable();
    let classic = match it.peek() {
        None => return err(0, "no clauses: the input is empty"),
        Some((_, l)) => l.starts_with('p'),
    };
    let (mut b, top, declared) = if classic {
        let (hl, l) = it.next().expect("peeked");
        let h = header(hl, l, "wcnf", limits)?;
        let top = match h.rest.as_slice() {
            [] => None,
            [t] => Some(number::<u64>(hl, t, "top weight")?),
            more => {
                return err(
                    hl,
                    format!(
                        "unexpected tokens after the top weight: {:?}",
                        more[1..].join(" ")
                    ),
                )
            }
        };
        (
            ClauseBuilder::new(h.vars, h.count, limits, true),
            top,
            Some((hl, h.count)),
        )
    } else {
        (ClauseBuilder::new(0, 1 << 16, limits, false), None, None)
    };
    let mut soft_total: u128 = 0;
    // The weight of the clause being read: None for hard.
    let mut pending: Option<Option<u64>> = None;
    for (line, l) in it {
        for tok in l.split_whitespace() {
            if pending.is_none() {
                let w = if !classic && tok == "h" {
                    None
                } else {
                    let w: u64 = number(line, tok, "clause weight")?;
                    if w == 0 {
                        return err(line, "clause weight 0: weights are positive integers");
                    }
                    match top {
                        Some(t) if w >= t => None,
                        _ => Some(w),
                    }
                };
                pending = Some(w);
                continue;
            }
            if b.literal(line, tok)? {
                if let Some((_, count)) = declared {
                    if b.c.weights.len() as u32 == count {
                        return err(
                            line,
                            format!("more clauses than the {count} the header declares"),
                        );
                    }
                }
                if !classic && b.c.weights.len() as u64 >= u64::from(limits.max_clauses) {
                    return err(line, format!("more than {} clauses", limits.max_clauses));
                }
                match pending.take().expect("weight read") {
                    Some(w) => {
                        soft_total = soft_total.saturating_add(u128::from(w));
                        if soft_total >= MAX_TOTAL_WEIGHT {
                            return err(line, "the soft weights add up to more than 2^62");
                        }
                        b.c.weights.push(w);
                        b.c.hard.push(false);
                    }
                    None => {
                        b.c.weights.push(0);
                        b.c.hard.push(true);
                    }
                }
            }
        }
    }
    if pending.is_some() && !b.open {
        return err(0, "the last clause has a weight but no literals");
    }
    let mut c = b.finish()?;
    if let Some((hl, count)) = declared {
        if c.num_clauses() as u32 != count {
            return err(
                hl,
                format!(
                    "the header declares {count} clauses but the body has {}",
                    c.num_clauses()
                ),
            );
        }
    }
    if c.num_clauses() == 0 {
        return err(0, "no clauses");
    }
    let hard_weight = (soft_total as u64).saturating_add(1);
    for (w, &h) in c.weights.iter_mut().zip(&c.hard) {
        if h {
            *w = hard_weight;
        }
    }
    Ok(c)
}

/// A decimal token as an exact (mantissa, decimals) pair: "-1.25" → (-125, 2), "3e-2" → (3, 2).
fn decimal(line: usize, tok: &str) -> Result<(i128, u32), ParseError> {
    let bad = || err(line, format!("coefficient {tok:?} is not a decimal number"));
    let (num, exp) = match tok.find(['e', 'E']) {
        Some(p) => {
            let e: i32 = match tok[p.saturating_add(1)..].parse() {
                Ok(e) => e,
                Err(_) => return bad(),
            };
            (&tok[..p], e)
        }
        None => (tok, 0),
    };
    let (neg, digits) = match num.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, num.strip_prefix('+').unwrap_or(num)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return bad();
    }
    let mut mant = format!("{int}{frac}");
    let mut dec = (frac.len() as i64).saturating_sub(i64::from(exp));
    while dec > 0 && mant.ends_with('0') {
        mant.pop();
        dec = dec.saturating_sub(1);
    }
    let mant = mant.trim_start_matches('0');
    if mant.len() > 30 {
        return err(
            line,
            format!("coefficient {tok:?} has more than 30 significant digits"),
        );
    }
    let mut m: i128 = if mant.is_empty() {
        0
    } else {
        match mant.parse() {
            Ok(v) => v,
            Err(_) => return bad(),
        }
    };
    while dec < 0 && m != 0 {
        m = match m.checked_mul(10) {
            Some(v) if v.unsigned_abs() < 1 << 100 => v,
            _ => return err(line, format!("coefficient {tok:?} is too large")),
        };
        dec = dec.saturating_add(1);
    }
    if m == 0 {
        return Ok((0, 0));
    }
    if dec > i64::from(MAX_QUBO_DECIMALS) {
        return err(
            line,
            format!("coefficient {tok:?} needs more than {MAX_QUBO_DECIMALS} decimals"),
        );
    }
    Ok((if neg { m.saturating_neg() } else { m }, dec as u32))
}

fn parse_qubo(text: &str, limits: &Limits) -> Result<Qubo, ParseError> {
    let mut it = lines(text);
    let Some((hl, l)) = it.next() else {
        return err(0, "no \"p qubo\" header: the input is empty");
    };
    let h = header(hl, l, "qubo", limits)?;
    let offset = match h.rest.as_slice() {
        [] => (0, 0),
        [o] => decimal(hl, o)?,
        more => {
            return err(
                hl,
                format!(
                    "unexpected tokens after the offset: {:?}",
                    more[1..].join(" ")
                ),
            )
        }
    };
    let mut raw: Vec<(u32, u32, i128, u32, usize)> =
        Vec::with_capacity(h.count.min(1 << 20) as usize);
    for (line, l) in it {
        let toks: Vec<&str> = l.split_whitespace().collect();
        if toks.len() != 3 {
            return err(line, format!("expected \"i j value\", found {l:?}"));
        }
        let i: u64 = number(line, toks[0], "index")?;
        let j: u64 = number(line, toks[1], "index")?;
        for v in [i, j] {
            if v >= u64::from(h.vars) {
                return err(
                    line,
                    format!(
                        "index {v} is out of range: the header declares {} variables (0-based)",
                        h.vars
                    ),
                );
            }
        }
        if raw.len() as u32 == h.count {
            return err(
                line,
                format!("more terms than the {} the header declares", h.count),
            );
        }
        let (m, d) = decimal(line, toks[2])?;
        raw.push((i.min(j) as u32, i.max(j) as u32, m, d, line));
    }
    if raw.len() as u32 != h.count {
        return err(
            hl,
            format!(
                "the header declares {} terms but the body has {}",
                h.count,
                raw.len()
            ),
        );
    }
    let decimals = raw.iter().map(|t| t.3).chain([offset.1]).max().unwrap_or(0);
    // Every coefficient is scaled to the finest one's decimals. Checked: one coefficient near
    // 10^30 beside another with 9 decimals would need 10^39, beyond i128 (and far beyond the 2^62
    // that energies are bounded by), and unchecked that wraps or panics.
    let too_large = |line: usize, what: &str| {
        err(
            line,
            format!("{what} is too large once every coefficient is scaled to × 10^{decimals} (the finest decimals given): scaled values must stay below 2^62"),
        )
    };
    let scale = |m: i128, d: u32| {
        decimals
            .checked_sub(d)
            .and_then(|e| 10i128.checked_pow(e))
            .and_then(|f| m.checked_mul(f))
            .filter(|v| v.unsigned_abs() < MAX_TOTAL_WEIGHT)
    };
    raw.sort_by_key(|t| (t.0, t.1));
    let mut terms: Vec<(u32, u32, i64)> = Vec::with_capacity(raw.len());
    let mut total: u128 = 0;
    let mut acc: Option<(u32, u32, i128)> = None;
    let mut flush = |acc: Option<(u32, u32, i128)>, total: &mut u128| -> Result<(), ParseError> {
        if let Some((i, j, w)) = acc {
            *total = total.saturating_add(w.unsigned_abs());
            if *total >= MAX_TOTAL_WEIGHT {
                return err(
                    0,
                    format!("the scaled coefficients (× 10^{decimals}) add up to more than 2^62"),
                );
            }
            if w != 0 {
                terms.push((i, j, w as i64));
            }
        }
        Ok(())
    };
    for (i, j, m, d, line) in raw {
        let Some(w) = scale(m, d) else {
            return too_large(line, "the coefficient");
        };
        acc = match acc {
            Some((ai, aj, aw)) if (ai, aj) == (i, j) => match aw.checked_add(w) {
                // Each term is below 2^62 and there are at most 2^32 of them: this cannot
                // overflow i128, but the sum is bounded before it is stored all the same.
                Some(sum) if sum.unsigned_abs() < MAX_TOTAL_WEIGHT => Some((i, j, sum)),
                _ => return too_large(line, &format!("the sum of the terms on ({i}, {j})")),
            },
            prev => {
                flush(prev, &mut total)?;
                Some((i, j, w))
            }
        };
    }
    flush(acc, &mut total)?;
    let Some(offset) = scale(offset.0, offset.1) else {
        return too_large(hl, "the offset");
    };
    if offset.unsigned_abs().saturating_add(total) >= MAX_TOTAL_WEIGHT {
        return err(hl, "the offset and coefficients add up to more than 2^62");
    }
    Ok(Qubo {
        num_vars: h.vars,
        terms,
        offset: offset as i64,
        decimals,
    })
}

/// Parses an energy written in a problem's units ("-12.5") into its scaled integer form
/// (× 10^`decimals`); more decimals than the problem's scale cannot be represented exactly.
pub fn parse_energy(s: &str, decimals: u32) -> Result<i64, String> {
    let (m, d) = decimal(0, s.trim()).map_err(|e| e.msg)?;
    if d > decimals {
        return Err(format!(
            "energy {s:?} has {d} decimals but the problem's scale has {decimals}"
        ));
    }
    let v = decimals
        .checked_sub(d)
        .and_then(|e| 10i128.checked_pow(e))
        .and_then(|f| m.checked_mul(f))
        .filter(|v| v.unsigned_abs() < MAX_TOTAL_WEIGHT)
        .ok_or_else(|| format!("energy {s:?} is out of range"))?;
    Ok(v as i64)
}

/// Formats a scaled energy in the problem's units: 1250 at 2 decimals is "12.5".
pub fn format_energy(e: i64, decimals: u32) -> String {
    if decimals == 0 {
        return e.to_string();
    }
    let scale = std::num::NonZeroU64::new(10u64.saturating_pow(decimals))
        .unwrap_or(std::num::NonZeroU64::MIN);
    let mag = e.unsigned_abs();
    let frac = format!("{:0width$}", mag % scale, width = decimals as usize);
    let frac = frac.trim_end_matches('0');
    let sign = if e < 0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{}", mag / scale)
    } else {
        format!("{sign}{}.{frac}", mag / scale)
    }
}

/// Writes clauses back as DIMACS CNF (the generator and benchmarks use it).
pub fn write_cnf(c: &Clauses) -> String {
    let mut s = format!("p cnf {} {}\n", c.num_vars, c.num_clauses());
    for m in 0..c.num_clauses() {
        for l in c.clause(m) {
            s.push_str(&l.to_string());
            s.push(' ');
        }
        s.push_str("0\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cnf(t: &str) -> Result<Clauses, ParseError> {
        parse_cnf(t, &Limits::LOCAL)
    }

    /// Coefficients whose scaling to the finest decimals overflows i128 (2e29 × 10^9), or whose
    /// sum does, are refused with the line, never a panic (dev builds check overflow) nor a
    /// wrapped value (release builds do not).
    #[test]
    fn attack_qubo_scaling_overflow_is_an_error_not_a_panic() {
        let cases = [
            ("p qubo 2 2 0\n0 0 2e29\n1 1 1e-9\n", "line 2"),
            ("p qubo 2 2 0\n1 1 1e-9\n0 0 -2e29\n", "line 3"),
            ("p qubo 2 1 2e29\n1 1 1e-9\n", "the offset"),
            ("p qubo 1 1 0\n0 0 4611686018427387904\n", "line 2"),
            (
                "p qubo 1 2 0\n0 0 3000000000000000000\n0 0 3000000000000000000\n",
                "(0, 0)",
            ),
            ("p qubo 2 2 0\n0 0 1e20\n1 1 0.5\n", "line 2"),
        ];
        for (text, want) in cases {
            let r = std::panic::catch_unwind(|| Problem::parse(Format::Qubo, text, &Limits::LOCAL));
            let e = match r {
                Ok(Err(e)) => e.to_string(),
                Ok(Ok(_)) => panic!("{text:?} was accepted"),
                Err(_) => panic!("{text:?} panicked"),
            };
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(
                e.contains("too large") || e.contains("2^62"),
                "{text:?}: {e}"
            );
        }
        // At the bound: the largest coefficient that scales below 2^62 is kept exactly.
        let ok = Problem::parse(
            Format::Qubo,
            "p qubo 2 2 0\n0 0 4611686018\n1 1 -1e-9\n",
            &Limits::LOCAL,
        )
        .unwrap();
        assert_eq!(ok.energy(&[true, false]), Ok(4611686018000000000));
        assert!(parse_energy("2e29", 9)
            .unwrap_err()
            .contains("out of range"));
        assert!(parse_energy("-1e40", 0).is_err());
        assert_eq!(parse_energy("-1.5", 9), Ok(-1_500_000_000));
    }

    #[test]
    fn cnf_parses_and_verifies() {
        let c = cnf("c a comment\np cnf 3 2\n1 -2 0\n2 3\n 0\n").unwrap();
        assert_eq!(c.num_clauses(), 2);
        assert_eq!(c.clause(1), &[2, 3]);
        let p = Problem::Sat(c);
        assert_eq!(p.energy(&[true, false, true]), Ok(0));
        assert_eq!(p.energy(&[false, true, false]), Ok(1));
        assert_eq!(p.energy(&[false, false, false]), Ok(1));
        assert!(matches!(p.energy(&[true]), Err(VerifyError::Length { .. })));
        let satlib = "p cnf 2 1\n1 2 0\n%\n0\n";
        assert_eq!(cnf(satlib).unwrap().num_clauses(), 1);
    }

    #[test]
    fn malformed_cnf_is_refused_with_the_line_and_value() {
        let cases = [
            ("", "empty"),
            ("p cnf 3\n1 0\n", "expected the header"),
            ("p sat 3 1\n1 0\n", "expected the header"),
            ("p cnf 3 1\n1 4 0\n", "literal 4 is out of range"),
            ("p cnf 3 1\n1 -4 0\n", "literal -4 is out of range"),
            ("p cnf 3 2\n1 2 0\n3", "no terminating 0"),
            (
                "p cnf 3 3\n1 2 0\n3 0\n",
                "declares 3 clauses but the body has 2",
            ),
            ("p cnf 3 1\n1 2 0\n3 0\n", "more clauses than the 1"),
            (
                "p cnf 99999999999999999999999 1\n1 0\n",
                "not a number in range",
            ),
            ("p cnf 99999999999 1\n1 0\n", "above the limit"),
            ("p cnf 4000000000 1\n1 0\n", "above the limit"),
            ("p cnf 3 1\n1 x 0\n", "literal \"x\" is not a number"),
            ("p cnf 3 1\n1 2.5 0\n", "literal \"2.5\""),
            ("p cnf 3 2\n1 0\n0\n", "empty clause"),
            ("p cnf 0 0\n", "0 variables"),
        ];
        for (text, want) in cases {
            let e = cnf(text).expect_err(text);
            assert!(
                e.to_string().contains(want),
                "{text:?}: {e} (wanted {want:?})"
            );
        }
        let e = cnf("p cnf 3 2\n1 2 0\n1 4 0\n").unwrap_err();
        assert_eq!(e.line, 3);
    }

    #[test]
    fn wcnf_both_forms() {
        let classic =
            parse_wcnf("p wcnf 2 3 10\n10 1 2 0\n3 -1 0\n4 -2 0\n", &Limits::LOCAL).unwrap();
        assert_eq!(classic.hard, vec![true, false, false]);
        assert_eq!(classic.weights, vec![8, 3, 4]);
        let modern = parse_wcnf("h 1 2 0\n3 -1 0\n4 -2 0\n", &Limits::LOCAL).unwrap();
        assert_eq!(modern, classic);
        let p = Problem::MaxSat(modern);
        assert_eq!(p.energy(&[true, false]), Ok(3));
        assert_eq!(p.energy(&[false, true]), Ok(4));
        assert_eq!(
            p.energy(&[false, false]),
            Err(VerifyError::HardClauseViolated { clause: 0 })
        );
        for (text, want) in [
            ("p wcnf 2 1 10\n5 1 3 0\n", "out of range"),
            ("p wcnf 2 1\n0 1 0\n", "weight 0"),
            ("p wcnf 2 1\nx 1 0\n", "clause weight \"x\""),
            ("p wcnf 2 2\n1 1 0\n", "declares 2 clauses"),
            ("h 1 2\n", "no terminating 0"),
            ("p wcnf 2 1\n1 1 0\n3", "weight but no literals"),
        ] {
            let e = parse_wcnf(text, &Limits::LOCAL).expect_err(text);
            assert!(e.to_string().contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn qubo_scales_exactly_and_matches_its_clauses() {
        let q = parse_qubo(
            "p qubo 3 5 1.5\n0 0 -1\n1 1 0.25\n0 1 2\n1 0 -0.5\n1 2 -3e-1\n",
            &Limits::LOCAL,
        )
        .unwrap();
        assert_eq!(q.decimals, 2);
        assert_eq!(q.offset, 150);
        assert_eq!(
            q.terms,
            vec![(0, 0, -100), (0, 1, 150), (1, 1, 25), (1, 2, -30)]
        );
        let p = Problem::Qubo(q.clone());
        let (c, k) = q.to_clauses();
        let cp = Problem::MaxSat(c);
        for bits in 0..8u8 {
            let x: Vec<bool> = (0..3).map(|i| bits >> i & 1 == 1).collect();
            let direct = p.energy(&x).unwrap();
            assert_eq!(direct, cp.energy(&x).unwrap() + k, "x = {x:?}");
        }
        assert_eq!(p.energy(&[true, true, false]), Ok(150 - 100 + 150 + 25));
        for (text, want) in [
            ("p qubo 2 1 0\n0 2 1\n", "index 2 is out of range"),
            ("p qubo 2 2 0\n0 1 1\n", "declares 2 terms"),
            ("p qubo 2 1 0\n0 1 abc\n", "not a decimal"),
            ("p qubo 2 1 0\n0 1\n", "expected \"i j value\""),
            ("p qubo 2 1 0\n0 1 0.0000000001\n", "more than 9 decimals"),
            ("p qubo 2 1 0\n0 1 1e30\n", "2^62"),
        ] {
            let e = parse_qubo(text, &Limits::LOCAL).expect_err(text);
            assert!(e.to_string().contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn energies_round_trip_through_their_scale() {
        assert_eq!(parse_energy("-12.5", 2), Ok(-1250));
        assert_eq!(parse_energy("3", 0), Ok(3));
        assert!(parse_energy("0.125", 2).is_err());
        assert!(parse_energy("x", 2).is_err());
        assert_eq!(format_energy(-1250, 2), "-12.5");
        assert_eq!(format_energy(-5, 2), "-0.05");
        assert_eq!(format_energy(300, 2), "3");
        assert_eq!(format_energy(7, 0), "7");
    }

    #[test]
    fn packing_is_canonical() {
        let x = [true, false, true, true, false, false, false, false, true];
        let b = pack(&x);
        assert_eq!(b, vec![0b0000_1101, 0b1]);
        assert_eq!(unpack(&b, 9).unwrap(), x);
        assert_eq!(unpack(&[0b1101, 0b11], 9), Err(VerifyError::PaddingBits));
        assert!(matches!(unpack(&[1], 9), Err(VerifyError::Length { .. })));
    }

    #[test]
    fn limits_apply_before_allocation() {
        let tight = Limits {
            max_vars: 10,
            max_clauses: 2,
            max_literals: 3,
        };
        assert!(parse_cnf("p cnf 11 1\n1 0\n", &tight)
            .unwrap_err()
            .msg
            .contains("limit of 10"));
        assert!(parse_cnf("p cnf 3 3\n1 0\n", &tight)
            .unwrap_err()
            .msg
            .contains("limit of 2"));
        assert!(parse_cnf("p cnf 3 2\n1 2 0\n1 2 0\n", &tight)
            .unwrap_err()
            .msg
            .contains("3 literals"));
    }
}
