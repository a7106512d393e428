//! `lsh_bands(signature)`: the LSH band keys (`list<bigint>`, 6 bands of 3 rows) of a MinHash
//! signature. Texts sharing any key are near-duplicate candidates. NULL gives NULL.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder, ListBuilder};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::error::{DataFusionError, Result};

use super::scalar::Scalar;
use super::{arc, int64_list_type};
use crate::text::near_dup::{BANDS, SIGNATURE_LEN, band_key};

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let list = datafusion::arrow::compute::cast(&args[0], &int64_list_type())?;
    let list = list.as_list::<i32>();
    let mut out =
        ListBuilder::with_capacity(Int64Builder::with_capacity(list.len() * BANDS), list.len());
    // Signatures read in place from the values of the whole batch: a slice per row allocated
    // for each of millions of texts.
    let signatures = list.values().as_primitive::<Int64Type>();
    let offsets = list.value_offsets();
    for i in 0..list.len() {
        if list.is_null(i) {
            out.append(false);
            continue;
        }
        let row = offsets[i] as usize..offsets[i + 1] as usize;
        if row.len() != SIGNATURE_LEN || row.clone().any(|j| signatures.is_null(j)) {
            return Err(DataFusionError::Execution(format!(
                "lsh_bands: expected a signature of {SIGNATURE_LEN} values from minhash_signature, got {} values",
                row.len()
            )));
        }
        let mut values = [0u64; SIGNATURE_LEN];
        for (v, s) in values.iter_mut().zip(&signatures.values()[row]) {
            *v = *s as u64;
        }
        for band in 0..BANDS {
            out.values().append_value(band_key(&values, band));
        }
        out.append(true);
    }
    Ok(arc(out.finish()))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("lsh_bands", 1, int64_list_type(), body)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder, ListBuilder};
    use datafusion::arrow::datatypes::Int64Type;

    use super::body;
    use crate::text::near_dup::{SIGNATURE_LEN, band_keys};

    /// Signatures are read through the list's offsets: a batch sliced out of a larger one (its
    /// offsets not starting at 0) gives each row its own keys.
    #[test]
    fn a_sliced_batch_gives_each_row_its_own_keys() {
        let signatures: Vec<Vec<u64>> = (0..3)
            .map(|row| (0..SIGNATURE_LEN as u64).map(|k| row * 100 + k).collect())
            .collect();
        let mut list = ListBuilder::new(Int64Builder::new());
        for sig in &signatures {
            list.values()
                .append_slice(&sig.iter().map(|v| *v as i64).collect::<Vec<_>>());
            list.append(true);
        }
        list.append(false);
        let list: ArrayRef = std::sync::Arc::new(list.finish());
        let keys = body(&[list.slice(1, 3)]).unwrap();
        let keys = keys.as_list::<i32>();
        for (row, sig) in signatures[1..].iter().enumerate() {
            let got = keys.value(row);
            assert_eq!(
                got.as_primitive::<Int64Type>().values(),
                &band_keys(sig)[..]
            );
        }
        assert!(keys.is_null(2));
    }
}
