//! `connected_components(a, b)`: an aggregate over edges (two bigint node ids per row) returning
//! `list<struct<node, cluster>>`: every node that has an edge, with the id of its connected
//! component, which is the smallest node id in it (stable between runs). Near-duplicate clusters
//! are the components of confirmed pairs. Rows with a NULL end are skipped.

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};

use super::int_lists::{
    extend_from_list_state, int64_arg, list_state_field, pairs_scalar, pairs_type, take_list_scalar,
};
use crate::text::near_dup::Components;

const NAMES: [&str; 2] = ["node", "cluster"];

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ConnectedComponents {
    signature: Signature,
}

/// The SQL function.
pub fn udaf() -> ConnectedComponents {
    ConnectedComponents {
        signature: Signature::any(2, Volatility::Immutable),
    }
}

impl AggregateUDFImpl for ConnectedComponents {
    fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
        super::docs::of(self.name())
    }
    fn name(&self) -> &str {
        "connected_components"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(pairs_type(NAMES))
    }
    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<Edges>::default())
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            list_state_field(args.name, "a"),
            list_state_field(args.name, "b"),
        ])
    }
}

#[derive(Debug, Default)]
struct Edges {
    a: Vec<i64>,
    b: Vec<i64>,
}

impl Accumulator for Edges {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (a, b) = (int64_arg(&values[0])?, int64_arg(&values[1])?);
        for i in 0..a.len() {
            if a.is_valid(i) && b.is_valid(i) {
                self.a.push(a.value(i));
                self.b.push(b.value(i));
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let mut c = Components::default();
        for (a, b) in self.a.iter().zip(&self.b) {
            c.union(*a, *b);
        }
        pairs_scalar(NAMES, &c.assignments())
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + (self.a.capacity() + self.b.capacity()) * 8
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            take_list_scalar(&mut self.a),
            take_list_scalar(&mut self.b),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        extend_from_list_state(&mut self.a, &states[0])?;
        extend_from_list_state(&mut self.b, &states[1])
    }
}
