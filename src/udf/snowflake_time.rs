//! `snowflake_time(id)`: the creation time encoded in an X id (posts, DMs), NULL for ids from
//! before snowflakes (2010) and for NULL. Used to tell how soon after a post was made it was liked.

use datafusion::arrow::array::TimestampMicrosecondBuilder;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::{arc, to_array, utf8_arg};

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SnowflakeTime {
    signature: Signature,
}

impl SnowflakeTime {
    pub fn new() -> Self {
        SnowflakeTime {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl Default for SnowflakeTime {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for SnowflakeTime {
    fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
        super::docs::of(self.name())
    }
    fn name(&self) -> &str {
        "snowflake_time"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Timestamp(
            TimeUnit::Microsecond,
            Some("UTC".into()),
        ))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let ids = utf8_arg(&to_array(&args.args[0], args.number_rows)?)?;
        let mut out = TimestampMicrosecondBuilder::with_capacity(ids.len()).with_timezone("UTC");
        for i in 0..ids.len() {
            out.append_option(if ids.is_null(i) {
                None
            } else {
                crate::model::time::snowflake_ts(ids.value(i))
            });
        }
        Ok(ColumnarValue::Array(arc(out.finish())))
    }
}
