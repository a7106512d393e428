//! A scalar function given as a name, a signature, a return type and a plain function over whole
//! argument arrays. The text functions are made of it; NULL handling is up to each function.

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

pub type Body = fn(&[ArrayRef]) -> Result<ArrayRef>;

#[derive(Debug)]
pub struct Scalar {
    name: &'static str,
    signature: Signature,
    returns: DataType,
    body: Body,
}

impl Scalar {
    /// A function of `arity` arguments of any type (each body casts what it accepts).
    pub fn new(name: &'static str, arity: usize, returns: DataType, body: Body) -> Self {
        Scalar {
            name,
            signature: Signature::any(arity, Volatility::Immutable),
            returns,
            body,
        }
    }
}

// Function names are unique in the registry, so the name identifies the function.
impl PartialEq for Scalar {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Scalar {}

impl std::hash::Hash for Scalar {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for Scalar {
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
        Ok(self.returns.clone())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(args.number_rows))
            .collect::<Result<Vec<_>>>()?;
        Ok(ColumnarValue::Array((self.body)(&arrays)?))
    }
}
