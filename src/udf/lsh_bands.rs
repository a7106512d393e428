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
    for i in 0..list.len() {
        if list.is_null(i) {
            out.append(false);
            continue;
        }
        let sig = list.value(i);
        let sig = sig.as_primitive::<Int64Type>();
        if sig.len() != SIGNATURE_LEN || sig.null_count() > 0 {
            return Err(DataFusionError::Execution(format!(
                "lsh_bands: expected a signature of {SIGNATURE_LEN} values from minhash_signature, got {} values",
                sig.len()
            )));
        }
        let mut values = [0u64; SIGNATURE_LEN];
        for (v, s) in values.iter_mut().zip(sig.values().iter()) {
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
