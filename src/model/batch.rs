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

/// Build an `events` batch. `ids` are the events' ids, computed once by the caller (it needs them
/// for de-duplication before the batch is built).
pub fn events_to_batch(events: &[Event], ids: &[EventId]) -> Result<RecordBatch, ArrowError> {
    let n = events.len();
    let mut event_id = StringBuilder::with_capacity(n, n * 32);
    let mut account_id = StringBuilder::with_capacity(n, n * 16);
    let mut kind = StringBuilder::with_capacity(n, n * 6);
    let mut ts = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut ts_lower = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut opt_cols: Vec<StringBuilder> = (0..8)
        .map(|_| StringBuilder::with_capacity(n, n * 8))
        .collect();
    let mut text = StringBuilder::with_capacity(n, n * 64);
    let mut lang = StringBuilder::with_capacity(n, n * 2);
    let mut hashtags = string_list_builder(n);
    let mut mentions = string_list_builder(n);
    let mut mention_ids = string_list_builder(n);
    let url_struct = StructBuilder::from_fields(url_fields(), 0);
    let mut urls = ListBuilder::with_capacity(url_struct, n).with_field(Arc::new(Field::new(
        LIST_ITEM,
        DataType::Struct(url_fields()),
        true,
    )));
    let mut client = StringBuilder::with_capacity(n, n * 8);
    let mut client_id = StringBuilder::with_capacity(n, n * 4);
    let mut sensitive = BooleanBuilder::with_capacity(n);
    let mut origin = StringBuilder::with_capacity(n, n * 8);
    let mut source = StringBuilder::with_capacity(n, n * 24);
    let mut source_record = Int64Builder::with_capacity(n);
    let mut attributes = StringBuilder::new();

    let mut hex = [0; 32];
    for (e, id) in events.iter().zip(ids) {
        event_id.append_value(id.as_str(&mut hex));
        account_id.append_value(&e.account_id);
        kind.append_value(e.kind.as_str());
        ts.append_value(e.ts);
        ts_lower.append_value(e.ts_lower.min(e.ts));
        for (b, v) in opt_cols.iter_mut().zip([
            &e.actor_id,
            &e.target_user_id,
            &e.target_post_id,
            &e.post_id,
            &e.message_id,
            &e.conversation_id,
            &e.list_id,
            &e.edit_of,
        ]) {
            b.append_option(v.as_deref());
        }
        text.append_option(e.text.as_deref());
        lang.append_option(e.lang.as_deref());
        for h in &e.hashtags {
            hashtags.values().append_value(h);
        }
        hashtags.append(true);
        for m in &e.mentions {
            mentions.values().append_option(m.screen_name.as_deref());
            mention_ids.values().append_option(m.id.as_deref());
        }
        mentions.append(true);
        mention_ids.append(true);
        for u in &e.urls {
            let sb = urls.values();
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
        urls.append(true);
        client.append_option(e.client.as_deref());
        client_id.append_option(e.client_id.as_deref());
        sensitive.append_option(e.possibly_sensitive);
        origin.append_value(e.origin.as_str());
        source.append_value(&*e.source);
        source_record.append_value(e.source_record);
        attributes.append_option(e.attributes.as_deref());
    }
    let mut o = opt_cols.into_iter();
    let mut next = || Arc::new(o.next().expect("8 optional columns").finish()) as ArrayRef;
    let (actor, target_user, target_post, post, message, conversation, list, edit) = (
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
    );
    let columns: Vec<ArrayRef> = vec![
        Arc::new(event_id.finish()),
        Arc::new(account_id.finish()),
        Arc::new(kind.finish()),
        Arc::new(ts.finish()),
        Arc::new(ts_lower.finish()),
        actor,
        target_user,
        target_post,
        post,
        message,
        conversation,
        list,
        Arc::new(text.finish()),
        Arc::new(lang.finish()),
        Arc::new(hashtags.finish()),
        Arc::new(mentions.finish()),
        Arc::new(mention_ids.finish()),
        Arc::new(urls.finish()),
        Arc::new(client.finish()),
        Arc::new(client_id.finish()),
        Arc::new(sensitive.finish()),
        edit,
        Arc::new(origin.finish()),
        Arc::new(source.finish()),
        Arc::new(source_record.finish()),
        Arc::new(attributes.finish()),
    ];
    RecordBatch::try_new(EVENTS.schema(), columns)
}
