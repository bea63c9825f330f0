//! SQL for paginated, sorted, filtered lists, shared by every resource.

use crate::domain::list::{FilterOp, ListParams};

use super::{Args, Dialect, Result, Row, Store};

/// One page of a list and the number of items across all pages.
#[derive(Debug)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub total: i64,
}

impl<T> ListPage<T> {
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<ListPage<U>, E> {
        Ok(ListPage { items: self.items.into_iter().map(f).collect::<Result<Vec<_>, E>>()?, total: self.total })
    }
}

/// The 1-based position of a substring; 0 when absent.
fn position(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "strpos",
        Dialect::Sqlite => "instr",
    }
}

/// Limits a list to rows whose `column` is one of `only` (a scoped caller's ids); `None` limits
/// nothing, and an empty list matches no row.
pub(crate) fn restrict_to(column: &str, only: Option<&[uuid::Uuid]>, conditions: &mut Vec<String>, args: &mut Args) {
    match only {
        None => {}
        Some([]) => conditions.push("1 = 0".to_owned()),
        Some(ids) => {
            let first = args.0.len() + 1;
            for id in ids {
                args.push(id);
            }
            conditions.push(format!("{column} IN ({})", super::placeholders(first, ids.len())));
        }
    }
}

/// Runs `SELECT {columns} FROM {table} WHERE {conditions and filters} ORDER BY … LIMIT …`
/// and the matching count. Field names come from the resource's static `ListSchema`,
/// which uses the column names, so nothing from the request is spliced into SQL.
pub(crate) async fn fetch_page<T: Row>(
    store: &Store,
    columns: &str,
    table: &str,
    conditions: Vec<String>,
    args: Args,
    params: &ListParams,
) -> Result<ListPage<T>> {
    fetch_page_ordered(store, columns, table, conditions, args, params, "created_at ASC, id ASC").await
}

/// [`fetch_page`] for a table whose rows are ordered, after the requested sort, by `tiebreak`
/// (a static ORDER BY list ending in a unique column) rather than by creation time.
pub(crate) async fn fetch_page_ordered<T: Row>(
    store: &Store,
    columns: &str,
    table: &str,
    mut conditions: Vec<String>,
    mut args: Args,
    params: &ListParams,
    tiebreak: &str,
) -> Result<ListPage<T>> {
    let dialect = store.dialect();
    for filter in &params.filters {
        let field = filter.field;
        let condition = match &filter.op {
            FilterOp::Eq(value) => format!("{field} = ${}", args.push(value)),
            FilterOp::Contains(value) => {
                format!("{}(lower({field}), lower(${})) > 0", position(dialect), args.push(value))
            }
            // Labels are a compact JSON object of [A-Za-z0-9-._] strings, so `"key":"value"`
            // can only match that exact pair, and `"key":` only that key.
            FilterOp::Label { key, value } => {
                let needle = match value {
                    Some(value) => format!("\"{key}\":\"{value}\""),
                    None => format!("\"{key}\":"),
                };
                format!("{}({field}, ${}) > 0", position(dialect), args.push(needle))
            }
            FilterOp::Bool(value) => format!("{field} = ${}", args.push(*value)),
            FilterOp::Time(comparison, micros) => format!("{field} {} ${}", comparison.sql(), args.push(*micros)),
            FilterOp::In(values) => {
                let placeholders: Vec<String> = values.iter().map(|v| format!("${}", args.push(v))).collect();
                format!("{field} IN ({})", placeholders.join(", "))
            }
        };
        conditions.push(condition);
    }
    let where_sql = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };

    let mut order: Vec<String> = params
        .sort
        .iter()
        .map(|key| format!("{} {}", key.field, if key.descending { "DESC" } else { "ASC" }))
        .collect();
    order.push(tiebreak.to_owned());

    let count_sql = format!("SELECT COUNT(*) FROM {table}{where_sql}");
    let (total,) = store.db().fetch_one::<(i64,)>(&count_sql, args.clone()).await?;

    let limit = args.push(i64::from(params.page_size));
    let offset = args.push(params.offset());
    let select_sql = format!(
        "SELECT {columns} FROM {table}{where_sql} ORDER BY {} LIMIT ${limit} OFFSET ${offset}",
        order.join(", ")
    );
    let items = store.db().fetch_all::<T>(&select_sql, args).await?;
    Ok(ListPage { items, total })
}
