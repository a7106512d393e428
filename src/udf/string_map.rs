//! A scalar function from one string to a label: any string type in (Utf8, LargeUtf8, Utf8View),
//! `Utf8` out, NULL in gives NULL out. `client_class` and `consent_phrase` are made of it.

use datafusion::arrow::array::StringBuilder;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::{Strings, arc, to_array, utf8_arg};

#[derive(Debug)]
pub struct StringMap {
    name: &'static str,
    f: fn(&str) -> Option<&'static str>,
    signature: Signature,
}

impl StringMap {
    pub fn new(name: &'static str, f: fn(&str) -> Option<&'static str>) -> Self {
        StringMap {
            name,
            f,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

// Function names are unique in the registry, so the name identifies the function (comparing
// function pointers would not: their addresses are not guaranteed to be unique).
impl PartialEq for StringMap {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for StringMap {}

impl std::hash::Hash for StringMap {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for StringMap {
    fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
        super::docs::of(self.name())
    }
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let input = utf8_arg(&to_array(&args.args[0], args.number_rows)?)?;
        let mut out = StringBuilder::with_capacity(input.len(), input.len() * 6);
        map_all(&input, self.f, &mut out);
        Ok(ColumnarValue::Array(arc(out.finish())))
    }
}

/// Map every value, reusing the previous label while the input repeats: events come grouped by
/// account, so a batch holds long runs of one client name.
fn map_all(input: &Strings, f: fn(&str) -> Option<&'static str>, out: &mut StringBuilder) {
    let mut last: Option<(&str, Option<&'static str>)> = None;
    for i in 0..input.len() {
        if input.is_null(i) {
            out.append_null();
            continue;
        }
        let v = input.value(i);
        let label = match last {
            Some((prev, label)) if prev == v => label,
            _ => {
                let label = f(v);
                last = Some((v, label));
                label
            }
        };
        out.append_option(label);
    }
}
