//! Near-duplicate detection primitives (RULES.md, "near-duplicate"): shingles of normalized text,
//! MinHash signatures, LSH band keys, exact Jaccard, and the candidate pairs of one band bucket.
//! The SQL functions in `udf/` are thin wrappers; rules compose them.
//!
//! Banding: [`BANDS`] × [`ROWS`] = 6 × 3. A pair with Jaccard `s` shares at least one band with
//! probability `1 - (1 - s^3)^6`: 0.987 at s = 0.8, 0.55 at s = 0.5, 0.15 at s = 0.3. Candidates
//! are confirmed by exact Jaccard, so a false candidate costs one comparison and no accuracy; few
//! bands keep the band keys small (6 per text) for millions of texts. The recall at 0.8 is
//! measured against brute force in the tests and in `benches/near_dup.rs`.

/// Texts with fewer words are never anyone's near-duplicate (a reply that is only a mention and a
/// link normalizes to nothing).
pub const MIN_WORDS: usize = 3;
/// Texts with fewer words are compared by character 5-grams, longer ones by word 3-shingles.
pub const WORD_SHINGLE_MIN_WORDS: usize = 6;
pub const BANDS: usize = 6;
pub const ROWS: usize = 3;
pub const SIGNATURE_LEN: usize = BANDS * ROWS;
/// Buckets up to this size are compared pairwise; larger ones in chunks of this size, plus every
/// member against the bucket's first, so a 100,000-member bucket costs linear, not quadratic, time.
pub const PAIRWISE_BUCKET: usize = 64;

/// 64-bit hash of bytes: 8 bytes at a time, finished with the splitmix64 mixer. Fast, good enough
/// for shingles, and stable across Rust releases (cluster ids derive from content hashes).
pub fn hash_bytes(bytes: &[u8], seed: u64) -> u64 {
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = mix(h ^ v);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = mix(h ^ u64::from_le_bytes(buf));
    }
    mix(h)
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Calls `f` with the hash of every shingle of a normalized text (words separated by spaces), in
/// text order, repeats included; returns false, calling nothing, when the text has fewer than
/// [`MIN_WORDS`] words.
fn for_each_shingle(norm: &str, mut f: impl FnMut(u64)) -> bool {
    thread_local! {
        static WORDS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    WORDS.with_borrow_mut(|word_hashes| {
        word_hashes.clear();
        // Words are split by hand: `split(' ')` calls memchr per word, which costs more than the
        // short words themselves.
        let bytes = norm.as_bytes();
        let mut start = 0;
        for (i, b) in bytes.iter().enumerate() {
            if *b == b' ' {
                if i > start {
                    word_hashes.push(hash_bytes(&bytes[start..i], 1));
                }
                start = i + 1;
            }
        }
        if bytes.len() > start {
            word_hashes.push(hash_bytes(&bytes[start..], 1));
        }
        if word_hashes.len() < MIN_WORDS {
            return false;
        }
        if word_hashes.len() >= WORD_SHINGLE_MIN_WORDS {
            for w in word_hashes.windows(3) {
                f(mix(w[0] ^ w[1].rotate_left(21) ^ w[2].rotate_left(42)));
            }
        } else {
            let chars: Vec<char> = norm.chars().collect();
            let mut buf = [0u8; 20];
            for w in chars.windows(5) {
                let mut len = 0;
                for c in w {
                    len += c.encode_utf8(&mut buf[len..]).len();
                }
                f(hash_bytes(&buf[..len], 2));
            }
        }
        true
    })
}

/// The shingle hashes of a normalized text, deduplicated and sorted; empty when the text has
/// fewer than [`MIN_WORDS`] words.
pub fn shingles(norm: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for_each_shingle(norm, |h| out.push(h));
    out.sort_unstable();
    out.dedup();
    out
}

/// Multipliers (odd) and offsets of the [`SIGNATURE_LEN`] hash functions `a·x + b` (mod 2^64),
/// derived from fixed seeds so signatures are the same in every run.
struct Permutations {
    a: [u64; SIGNATURE_LEN],
    b: [u64; SIGNATURE_LEN],
}

static PERMUTATIONS: std::sync::LazyLock<Permutations> =
    std::sync::LazyLock::new(|| Permutations {
        a: std::array::from_fn(|i| mix(i as u64 * 2 + 11) | 1),
        b: std::array::from_fn(|i| mix(i as u64 * 2 + 12)),
    });

/// The MinHash signature of a normalized text, or `None` for texts under [`MIN_WORDS`] words.
/// Repeated shingles need no deduplication: a minimum does not change when a value repeats.
pub fn signature(norm: &str) -> Option<[u64; SIGNATURE_LEN]> {
    let p = &*PERMUTATIONS;
    let mut sig = [u64::MAX; SIGNATURE_LEN];
    let enough = for_each_shingle(norm, |x| {
        for ((slot, a), b) in sig.iter_mut().zip(&p.a).zip(&p.b) {
            *slot = (*slot).min(a.wrapping_mul(x).wrapping_add(*b));
        }
    });
    enough.then_some(sig)
}

/// One key per band: texts sharing a key are candidates. The band index is part of the key, so
/// equal rows in different bands do not collide.
pub fn band_keys(sig: &[u64]) -> Vec<i64> {
    (0..BANDS).map(|band| band_key(sig, band)).collect()
}

/// The key of one band of a signature.
pub fn band_key(sig: &[u64], band: usize) -> i64 {
    let mut h = mix(band as u64 + 0x5EED);
    for r in &sig[band * ROWS..(band + 1) * ROWS] {
        h = mix(h ^ r);
    }
    h as i64
}

/// Exact Jaccard similarity of the shingle sets; 0 when either text has too few words, and 0 when
/// the texts' numbers differ: a counter, a price, a score or a reading makes other content ("day
/// 5 of 100" is not "day 13 of 100"), however alike the words around it are. Short texts are
/// compared by characters, where one digit more would otherwise barely count.
pub fn jaccard(a: &str, b: &str) -> f64 {
    if !numbers(a).eq(numbers(b)) {
        return 0.0;
    }
    jaccard_sets(&shingles(a), &shingles(b))
}

/// The words of a normalized text that hold a digit, in order.
fn numbers(norm: &str) -> impl Iterator<Item = &str> {
    norm.split(' ')
        .filter(|w| w.bytes().any(|b| b.is_ascii_digit()))
}

/// Jaccard of two sorted, deduplicated sets.
pub fn jaccard_sets(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

/// The pairs to verify in one band bucket (members sorted, deduplicated): every pair when the
/// bucket is small, else every pair within consecutive chunks plus every member with the first.
/// Transitivity through the shared first member and the chunks keeps recall for large clusters,
/// whose members are all near each other, at linear cost.
pub fn bucket_pairs(members: &mut Vec<i64>) -> Vec<(i64, i64)> {
    members.sort_unstable();
    members.dedup();
    let mut out = Vec::new();
    for chunk in members.chunks(PAIRWISE_BUCKET) {
        for (i, a) in chunk.iter().enumerate() {
            for b in &chunk[i + 1..] {
                out.push((*a, *b));
            }
        }
    }
    if members.len() > PAIRWISE_BUCKET {
        let first = members[0];
        out.extend(members[PAIRWISE_BUCKET..].iter().map(|m| (first, *m)));
    }
    out
}

/// Union-find over node ids; each component's id is its smallest member.
#[derive(Default)]
pub struct Components {
    index: ahash::AHashMap<i64, usize>,
    nodes: Vec<i64>,
    parent: Vec<usize>,
}

impl Components {
    fn slot(&mut self, node: i64) -> usize {
        if let Some(&i) = self.index.get(&node) {
            return i;
        }
        let i = self.nodes.len();
        self.index.insert(node, i);
        self.nodes.push(node);
        self.parent.push(i);
        i
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    pub fn union(&mut self, a: i64, b: i64) {
        let (ra, rb) = (self.slot(a), self.slot(b));
        let (ra, rb) = (self.root(ra), self.root(rb));
        if ra == rb {
            return;
        }
        // The root keeps the smaller node id, so the component id is its minimum.
        if self.nodes[ra] < self.nodes[rb] {
            self.parent[rb] = ra;
        } else {
            self.parent[ra] = rb;
        }
    }

    /// Every node with its component id, in node order.
    pub fn assignments(mut self) -> Vec<(i64, i64)> {
        let mut out: Vec<(i64, i64)> = (0..self.nodes.len())
            .map(|i| {
                let r = self.root(i);
                (self.nodes[i], self.nodes[r])
            })
            .collect();
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;
    use rand::seq::IndexedRandom;
    use rand::{Rng, SeedableRng};

    #[test]
    fn texts_under_three_words_have_no_signature_and_match_nothing() {
        assert!(signature("").is_none());
        assert!(signature("thanks a").is_none());
        assert_eq!(jaccard("thanks a", "thanks a"), 0.0);
        assert!(signature("thanks a lot").is_some());
    }

    #[test]
    fn identical_texts_have_identical_signatures_and_jaccard_one() {
        let t = normalize("Big SALE today: 50% off every plan, only at our shop!");
        assert_eq!(signature(&t), signature(&t));
        assert_eq!(jaccard(&t, &t), 1.0);
    }

    /// Real corpus: a person's "5/100 #100DaysOfCode" progress posts were one near-duplicate
    /// cluster, because short texts are compared by characters and "5" and "25" differ by one.
    #[test]
    fn a_short_counter_template_with_other_numbers_is_not_a_near_duplicate() {
        let a = normalize("5/100 #100DaysOfCode https://t.co/AAAA1111");
        let b = normalize("25/100 #100DaysOfCode https://t.co/BBBB2222");
        assert_eq!(jaccard(&a, &b), 0.0);
        let c = normalize("Big sale today only: 50% off every plan, only at our shop!");
        let d = normalize("Big sale today only: 50% off every plan, only at our shop!!");
        assert_eq!(jaccard(&c, &d), 1.0);
    }

    #[test]
    fn a_weather_template_with_other_numbers_is_not_a_near_duplicate() {
        let a = normalize("Amsterdam 14:00 — 12°C, light rain, wind 20 km/h SW, humidity 81%");
        let b = normalize("Amsterdam 15:00 — 13°C, cloudy, wind 18 km/h W, humidity 77%");
        assert!(jaccard(&a, &b) < 0.8, "{}", jaccard(&a, &b));
    }

    #[test]
    fn one_changed_word_in_a_long_text_is_a_near_duplicate() {
        let a = normalize(
            "Get the best deals on running shoes and sports gear at our online store today only",
        );
        let b = normalize(
            "Get the best deals on running shoes and sports gear at our online store today now",
        );
        assert!(jaccard(&a, &b) >= 0.8, "{}", jaccard(&a, &b));
    }

    #[test]
    fn large_buckets_give_linear_not_quadratic_pairs() {
        let mut small: Vec<i64> = (0..10).collect();
        assert_eq!(bucket_pairs(&mut small).len(), 45);
        let mut big: Vec<i64> = (0..100_000).collect();
        let pairs = bucket_pairs(&mut big);
        assert!(pairs.len() < 100_000 * PAIRWISE_BUCKET, "{}", pairs.len());
        let mut c = Components::default();
        for (a, b) in pairs {
            c.union(a, b);
        }
        assert!(
            c.assignments().iter().all(|(_, comp)| *comp == 0),
            "one component"
        );
    }

    #[test]
    fn components_are_named_by_their_smallest_member() {
        let mut c = Components::default();
        c.union(5, 9);
        c.union(9, 2);
        c.union(7, 8);
        assert_eq!(
            c.assignments(),
            vec![(2, 2), (5, 2), (7, 7), (8, 7), (9, 2)]
        );
    }

    /// Recall of banding against brute-force Jaccard: pairs at Jaccard ≥ 0.8 (made by editing a
    /// word of a random text) must share a band key at least 95 % of the time.
    #[test]
    fn banding_recall_at_the_threshold_is_at_least_95_percent() {
        // Words without digits: texts whose numbers differ are never near-duplicates.
        let vocab: Vec<String> = (0..500)
            .map(|i: u32| {
                let letters: String = i
                    .to_string()
                    .chars()
                    .map(|d| char::from(b'a' + d.to_digit(10).unwrap() as u8))
                    .collect();
                format!("w{letters}")
            })
            .collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let (mut similar, mut found) = (0, 0);
        for _ in 0..3000 {
            let n = rng.random_range(12..40);
            let words: Vec<&str> = (0..n)
                .map(|_| vocab.choose(&mut rng).unwrap().as_str())
                .collect();
            // Editing a word at either end changes one shingle: Jaccard (m-1)/(m+1) for m shingles.
            let mut edited = words.clone();
            let k = if rng.random_bool(0.5) { 0 } else { n - 1 };
            edited[k] = "edited";
            let (a, b) = (words.join(" "), edited.join(" "));
            if jaccard(&a, &b) < 0.8 {
                continue;
            }
            similar += 1;
            let (ka, kb) = (
                band_keys(&signature(&a).unwrap()),
                band_keys(&signature(&b).unwrap()),
            );
            if ka.iter().zip(&kb).any(|(x, y)| x == y) {
                found += 1;
            }
        }
        assert!(similar > 1000, "{similar}");
        let recall = found as f64 / similar as f64;
        assert!(recall >= 0.95, "recall {recall} over {similar} pairs");
    }
}
