use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Int64Builder, ListBuilder, StringBuilder, StructBuilder,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;

use super::schema::{EVENTS, LIST_ITEM, url_fields};
use super::{Event, EventId};

fn string_list_builder(cap: usize) -> ListBuilder<StringBuilder> {
    ListBuilder::with_capacity(StringBuilder::new(), cap).with_field(Arc::new(Field::new(
        LIST_ITEM,
        DataType::Utf8,
        true,
    )))
}

/// The `events` columns being filled, one event at a time. Readers append each event as soon as it
/// is read, while its strings are still in cache, and drop it at once, instead of holding
/// thousands of events (and their strings) until a batch is built.
pub struct EventColumns {
    event_id: StringBuilder,
    account_id: StringBuilder,
    kind: StringBuilder,
    ts: TimestampMicrosecondBuilder,
    ts_lower: TimestampMicrosecondBuilder,
    /// actor_id, target_user_id, target_post_id, post_id, message_id, conversation_id, list_id:
    /// adjacent in the schema, in its order.
    ids: [StringBuilder; 7],
    text: StringBuilder,
    lang: StringBuilder,
    hashtags: ListBuilder<StringBuilder>,
    mentions: ListBuilder<StringBuilder>,
    mention_ids: ListBuilder<StringBuilder>,
    urls: ListBuilder<StructBuilder>,
    client: StringBuilder,
    client_id: StringBuilder,
    sensitive: BooleanBuilder,
    edit_of: StringBuilder,
    origin: StringBuilder,
    source: StringBuilder,
    source_record: Int64Builder,
    attributes: StringBuilder,
}

impl EventColumns {
    /// Room for `n` events (more can be pushed).
    pub fn with_capacity(n: usize) -> EventColumns {
        let url_struct = StructBuilder::from_fields(url_fields(), 0);
        EventColumns {
            event_id: StringBuilder::with_capacity(n, n * 32),
            account_id: StringBuilder::with_capacity(n, n * 16),
            kind: StringBuilder::with_capacity(n, n * 6),
            ts: TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC"),
            ts_lower: TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC"),
            ids: std::array::from_fn(|_| StringBuilder::with_capacity(n, n * 8)),
            text: StringBuilder::with_capacity(n, n * 64),
            lang: StringBuilder::with_capacity(n, n * 2),
            hashtags: string_list_builder(n),
            mentions: string_list_builder(n),
            mention_ids: string_list_builder(n),
            urls: ListBuilder::with_capacity(url_struct, n).with_field(Arc::new(Field::new(
                LIST_ITEM,
                DataType::Struct(url_fields()),
                true,
            ))),
            client: StringBuilder::with_capacity(n, n * 8),
            client_id: StringBuilder::with_capacity(n, n * 4),
            sensitive: BooleanBuilder::with_capacity(n),
            edit_of: StringBuilder::with_capacity(n, n * 8),
            origin: StringBuilder::with_capacity(n, n * 8),
            source: StringBuilder::with_capacity(n, n * 24),
            source_record: Int64Builder::with_capacity(n),
            attributes: StringBuilder::new(),
        }
    }

    /// Append one event, whose id is `id`.
    pub fn push(&mut self, e: &Event<'_>, id: &EventId) {
        self.event_id.append_value(id.as_str(&mut [0; 32]));
        self.account_id.append_value(&e.account_id);
        self.kind.append_value(e.kind.as_str());
        self.ts.append_value(e.ts);
        self.ts_lower.append_value(e.ts_lower.min(e.ts));
        for (b, v) in self.ids.iter_mut().zip([
            &e.actor_id,
            &e.target_user_id,
            &e.target_post_id,
            &e.post_id,
            &e.message_id,
            &e.conversation_id,
            &e.list_id,
        ]) {
            b.append_option(v.as_deref());
        }
        self.text.append_option(e.text.as_deref());
        self.lang.append_option(e.lang.as_deref());
        for h in &e.hashtags {
            self.hashtags.values().append_value(h);
        }
        self.hashtags.append(true);
        for m in &e.mentions {
            self.mentions
                .values()
                .append_option(m.screen_name.as_deref());
            self.mention_ids.values().append_option(m.id.as_deref());
        }
        self.mentions.append(true);
        self.mention_ids.append(true);
        for u in &e.urls {
            let sb = self.urls.values();
            sb.field_builder::<StringBuilder>(0)
                .expect("url field")
                .append_value(&u.url);
            sb.field_builder::<StringBuilder>(1)
                .expect("expanded field")
                .append_option(u.expanded.as_deref());
            sb.field_builder::<StringBuilder>(2)
                .expect("display field")
                .append_option(u.display.as_deref());
            sb.append(true);
        }
        self.urls.append(true);
        self.client.append_option(e.client.as_deref());
        self.client_id.append_option(e.client_id.as_deref());
        self.sensitive.append_option(e.possibly_sensitive);
        self.edit_of.append_option(e.edit_of.as_deref());
        self.origin.append_value(e.origin.as_str());
        self.source.append_value(&*e.source);
        self.source_record.append_value(e.source_record);
        self.attributes.append_option(e.attributes.as_deref());
    }

    /// The batch of the events pushed so far; the columns start over empty.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.event_id.finish()),
            Arc::new(self.account_id.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.ts_lower.finish()),
        ];
        columns.extend(
            self.ids
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        columns.extend([
            Arc::new(self.text.finish()) as ArrayRef,
            Arc::new(self.lang.finish()),
            Arc::new(self.hashtags.finish()),
            Arc::new(self.mentions.finish()),
            Arc::new(self.mention_ids.finish()),
            Arc::new(self.urls.finish()),
            Arc::new(self.client.finish()),
            Arc::new(self.client_id.finish()),
            Arc::new(self.sensitive.finish()),
            Arc::new(self.edit_of.finish()),
            Arc::new(self.origin.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.source_record.finish()),
            Arc::new(self.attributes.finish()),
        ]);
        RecordBatch::try_new(EVENTS.schema(), columns)
    }
}
