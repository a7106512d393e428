//! `lsh_candidates(content, band_keys)`: an aggregate over distinct texts (`content` a bigint id
//! such as `content_hash`, `band_keys` from `lsh_bands`) returning the candidate pairs
//! `list<struct<a, b>>` (a < b): texts that share a band key. Small buckets give every pair; a big
//! bucket gives pairs within chunks of 64 plus every member with the first, so 100,000 texts in
//! one bucket cost 6.4 million comparisons, not 5 billion. Rows with a NULL content or band list
//! are skipped.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, FieldRef, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use rayon::prelude::*;

use super::int_lists::{
    extend_from_list_state, int64_arg, list_state_field, pairs_scalar, pairs_type, take_list_scalar,
};
use crate::text::near_dup::{BANDS, bucket_pairs};

const NAMES: [&str; 2] = ["a", "b"];

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct LshCandidates {
    signature: Signature,
}

/// The SQL function.
pub fn udaf() -> LshCandidates {
    LshCandidates {
        signature: Signature::any(2, Volatility::Immutable),
    }
}

impl AggregateUDFImpl for LshCandidates {
    fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
        super::docs::of(self.name())
    }
    fn name(&self) -> &str {
        "lsh_candidates"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(pairs_type(NAMES))
    }
    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<Collected>::default())
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            list_state_field(args.name, "content"),
            list_state_field(args.name, "keys"),
        ])
    }
}

/// Contents and their band keys, `BANDS` keys per content, flattened.
#[derive(Debug, Default)]
struct Collected {
    contents: Vec<i64>,
    keys: Vec<i64>,
}

impl Accumulator for Collected {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let contents = int64_arg(&values[0])?;
        let lists = values[1].as_list_opt::<i32>().ok_or_else(|| {
            DataFusionError::Execution(
                "lsh_candidates: band_keys must be a list (from lsh_bands)".into(),
            )
        })?;
        // The keys of the whole batch at once: a cast and a slice per row (6.4M texts at 10M
        // events) cost more than collecting the keys.
        let keys = datafusion::arrow::compute::cast(lists.values(), &DataType::Int64)?;
        let keys = keys.as_primitive::<Int64Type>().values();
        let offsets = lists.value_offsets();
        for i in 0..contents.len() {
            if contents.is_null(i) || lists.is_null(i) {
                continue;
            }
            let row = offsets[i] as usize..offsets[i + 1] as usize;
            if row.len() != BANDS {
                return Err(DataFusionError::Execution(format!(
                    "lsh_candidates: expected {BANDS} band keys per text (from lsh_bands), got {}",
                    row.len()
                )));
            }
            self.contents.push(contents.value(i));
            self.keys.extend_from_slice(&keys[row]);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        pairs_scalar(NAMES, &candidates(&self.contents, &self.keys))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + (self.contents.capacity() + self.keys.capacity()) * 8
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            take_list_scalar(&mut self.contents),
            take_list_scalar(&mut self.keys),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        extend_from_list_state(&mut self.contents, &states[0])?;
        extend_from_list_state(&mut self.keys, &states[1])
    }
}

/// Band by band (in parallel): sort the (key, content) pairs, take the pairs of each run of equal
/// keys, then merge and deduplicate across bands.
fn candidates(contents: &[i64], keys: &[i64]) -> Vec<(i64, i64)> {
    let mut pairs: Vec<(i64, i64)> = (0..BANDS)
        .into_par_iter()
        .flat_map_iter(|band| {
            let mut column: Vec<(i64, i64)> = contents
                .iter()
                .enumerate()
                .map(|(i, c)| (keys[i * BANDS + band], *c))
                .collect();
            column.sort_unstable();
            let mut out = Vec::new();
            let mut start = 0;
            while start < column.len() {
                let mut end = start + 1;
                while end < column.len() && column[end].0 == column[start].0 {
                    end += 1;
                }
                if end - start > 1 {
                    let mut members: Vec<i64> = column[start..end].iter().map(|p| p.1).collect();
                    out.extend(bucket_pairs(&mut members));
                }
                start = end;
            }
            out
        })
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Int64Array, Int64Builder, ListBuilder};
    use datafusion::logical_expr::Accumulator;

    use super::{Collected, candidates};
    use crate::text::near_dup::BANDS;

    /// Band keys are read through the list's offsets: a batch sliced out of a larger one (its
    /// offsets not starting at 0) keeps each content with its own keys.
    #[test]
    fn a_sliced_batch_keeps_each_content_with_its_keys() {
        let mut lists = ListBuilder::new(Int64Builder::new());
        for content in 0..4i64 {
            lists
                .values()
                .append_slice(&[content * 10; BANDS].map(|k| k + 1));
            lists.append(true);
        }
        let lists: ArrayRef = Arc::new(lists.finish());
        let contents: ArrayRef = Arc::new(Int64Array::from_iter_values(0..4));
        let mut collected = Collected::default();
        collected
            .update_batch(&[contents.slice(2, 2), lists.slice(2, 2)])
            .unwrap();
        assert_eq!(collected.contents, [2, 3]);
        assert_eq!(collected.keys, [[21; BANDS], [31; BANDS]].concat());
    }

    #[test]
    fn texts_sharing_one_band_key_are_candidates_once() {
        // content 1 and 2 share two bands, 3 shares nothing.
        let mut keys = vec![0i64; 3 * BANDS];
        for (i, k) in keys.iter_mut().enumerate() {
            *k = 1000 + i as i64;
        }
        keys[BANDS] = keys[0];
        keys[BANDS + 4] = keys[4];
        assert_eq!(candidates(&[1, 2, 3], &keys), vec![(1, 2)]);
    }

    #[test]
    fn the_same_content_twice_is_not_a_pair_with_itself() {
        let keys = vec![7i64; 2 * BANDS];
        assert!(candidates(&[5, 5], &keys).is_empty());
    }
}
