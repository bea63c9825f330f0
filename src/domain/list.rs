//! Pagination, sorting and filtering of list endpoints, parsed from query pairs:
//! `page[size]`, `page[number]`, `sort=name,created_at desc`, `filter[name][contains]=x`.

use super::Invalid;

pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Filter parameters one list request may carry.
pub const MAX_FILTERS: usize = 20;

/// How a field may be filtered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKind {
    /// `eq` or `contains` (case-insensitive).
    Text,
    /// `eq` only.
    Exact,
    /// `eq` with `key:value`, or `key` alone for presence.
    Labels,
    /// `true` or `false`.
    Bool,
    /// An RFC 3339 instant compared with `gt`, `gte`, `lt` or `lte` (a range takes two).
    Time,
    /// `eq`, or `oeq` with comma-separated values of which any may match (Kong's
    /// `StringFieldOEQFilter`).
    OneOf,
}

/// How a [`FilterKind::Time`] field is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Comparison {
    pub fn sql(self) -> &'static str {
        match self {
            Comparison::Gt => ">",
            Comparison::Gte => ">=",
            Comparison::Lt => "<",
            Comparison::Lte => "<=",
        }
    }
}

/// What a resource's list endpoint supports.
#[derive(Debug)]
pub struct ListSchema {
    pub sortable: &'static [&'static str],
    pub filters: &'static [(&'static str, FilterKind)],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterOp {
    Eq(String),
    Contains(String),
    Label {
        key: String,
        value: Option<String>,
    },
    Bool(bool),
    /// Microseconds since the Unix epoch.
    Time(Comparison, i64),
    /// Any of these values.
    In(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub field: &'static str,
    pub op: FilterOp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    pub field: &'static str,
    pub descending: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListParams {
    pub page_size: u32,
    pub page_number: u32,
    pub sort: Vec<SortKey>,
    pub filters: Vec<Filter>,
}

impl Default for ListParams {
    fn default() -> Self {
        ListParams { page_size: DEFAULT_PAGE_SIZE, page_number: 1, sort: Vec::new(), filters: Vec::new() }
    }
}

impl ListParams {
    pub fn offset(&self) -> i64 {
        i64::from(self.page_number - 1) * i64::from(self.page_size)
    }

    /// Parses query pairs; every problem is reported with the parameter it concerns.
    pub fn parse(pairs: &[(String, String)], schema: &ListSchema) -> Result<ListParams, Vec<(String, Invalid)>> {
        let mut params = ListParams::default();
        let mut errors = Vec::new();
        let mut filters = 0;
        for (name, value) in pairs {
            // Bounded: each filter binds values (up to 100 for `oeq`), and the databases cap those.
            if name.starts_with("filter[") {
                filters += 1;
                if filters > MAX_FILTERS {
                    errors.push((name.clone(), Invalid::max_items(MAX_FILTERS)));
                    continue;
                }
            }
            let result = match name.as_str() {
                "page[size]" => parse_page(value, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE).map(|n| params.page_size = n),
                "page[number]" => parse_page(value, 1, u32::MAX / MAX_PAGE_SIZE).map(|n| params.page_number = n),
                "sort" => parse_sort(value, schema).map(|keys| params.sort = keys),
                _ if name.starts_with("filter[") => parse_filter(name, value, schema).map(|f| params.filters.push(f)),
                _ => Err(Invalid::new("unknown_property", "is not a supported query parameter")),
            };
            if let Err(invalid) = result {
                errors.push((name.clone(), invalid));
            }
        }
        if errors.is_empty() { Ok(params) } else { Err(errors) }
    }
}

/// Cursor pages, as Kong's v2 lists take them: `page[size]`, and `page[after]` or
/// `page[before]` holding the opaque cursor of a neighbouring page (see [`cursor`]).
pub fn parse_cursor_pairs(
    pairs: &[(String, String)],
    schema: &ListSchema,
) -> Result<ListParams, Vec<(String, Invalid)>> {
    let mut errors = Vec::new();
    let mut translated = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "page[after]" | "page[before]" => match page_of_cursor(value) {
                Some(page) => translated.push(("page[number]".to_owned(), page.to_string())),
                None => errors.push((name.clone(), Invalid::new("invalid", "is not a cursor this server issued"))),
            },
            "page[number]" => {
                errors.push((name.clone(), Invalid::new("unknown_property", "is not a supported query parameter")))
            }
            _ => translated.push((name.clone(), value.clone())),
        }
    }
    let parsed = ListParams::parse(&translated, schema);
    match parsed {
        Ok(params) if errors.is_empty() => Ok(params),
        Ok(_) => Err(errors),
        Err(more) => Err(errors.into_iter().chain(more).collect()),
    }
}

/// The opaque cursor of a page: its number, in base64url. A cursor marks a position by count,
/// so an insert before it shifts the next page by one item.
pub fn cursor(page_number: u32) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("page:{page_number}"))
}

fn page_of_cursor(value: &str) -> Option<u32> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).ok()?;
    let page: u32 = std::str::from_utf8(&bytes).ok()?.strip_prefix("page:")?.parse().ok()?;
    (1..=u32::MAX / MAX_PAGE_SIZE).contains(&page).then_some(page)
}

fn parse_page(value: &str, default: u32, max: u32) -> Result<u32, Invalid> {
    if value.is_empty() {
        return Ok(default);
    }
    let number: i64 = value.parse().map_err(|_| Invalid::new("is_integer", "must be an integer"))?;
    if number < 1 {
        return Err(Invalid::min(1));
    }
    if number > i64::from(max) {
        return Err(Invalid::max(i64::from(max)));
    }
    Ok(number as u32)
}

fn parse_sort(value: &str, schema: &ListSchema) -> Result<Vec<SortKey>, Invalid> {
    let mut keys = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut words = part.split_whitespace();
        let field = words.next().unwrap_or_default();
        let descending = match words.next() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(Invalid::new("invalid", format!("unknown sort order {other:?}: use asc or desc")));
            }
        };
        if words.next().is_some() {
            return Err(Invalid::new("invalid", format!("cannot parse sort key {part:?}")));
        }
        let Some(field) = schema.sortable.iter().find(|f| **f == field) else {
            return Err(Invalid::new(
                "invalid",
                format!("cannot sort by {field:?}; supported: {}", schema.sortable.join(", ")),
            ));
        };
        keys.push(SortKey { field, descending });
    }
    Ok(keys)
}

/// The most values an `oeq` filter takes.
const MAX_ONE_OF_VALUES: usize = 100;

fn unquoted(value: &str) -> &str {
    value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value)
}

/// `filter[field]` (shorthand for eq) or `filter[field][op]`.
fn parse_filter(name: &str, value: &str, schema: &ListSchema) -> Result<Filter, Invalid> {
    let inner = name.strip_prefix("filter[").unwrap_or_default();
    let (field, rest) = inner.split_once(']').ok_or_else(|| Invalid::new("invalid", "malformed filter parameter"))?;
    let op = match rest {
        "" => "eq",
        _ => rest
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .ok_or_else(|| Invalid::new("invalid", "malformed filter parameter"))?,
    };
    let supported = || schema.filters.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", ");
    let Some((field, kind)) = schema.filters.iter().find(|(f, _)| *f == field) else {
        return Err(Invalid::new(
            "unknown_property",
            format!("cannot filter by {field:?}; supported: {}", supported()),
        ));
    };
    let op = match (kind, op) {
        (FilterKind::Text | FilterKind::Exact, "eq") => FilterOp::Eq(value.to_owned()),
        // Kong's own example quotes the value: `filter[type]="oidc"`.
        (FilterKind::OneOf, "eq") => FilterOp::In(vec![unquoted(value).to_owned()]),
        (FilterKind::OneOf, "oeq") => {
            let values: Vec<String> = unquoted(value).split(',').map(|v| unquoted(v.trim()).to_owned()).collect();
            // Each value is a bound parameter; the databases cap how many a statement takes.
            if values.len() > MAX_ONE_OF_VALUES {
                return Err(Invalid::max_items(MAX_ONE_OF_VALUES));
            }
            FilterOp::In(values)
        }
        (FilterKind::OneOf, _) => {
            return Err(Invalid::new("invalid", format!("unknown operator {op:?}: use eq or oeq")));
        }
        (FilterKind::Text, "contains") => FilterOp::Contains(value.to_owned()),
        (FilterKind::Labels, "eq") => match value.split_once(':') {
            Some((key, label_value)) => FilterOp::Label { key: key.to_owned(), value: Some(label_value.to_owned()) },
            None => FilterOp::Label { key: value.to_owned(), value: None },
        },
        (FilterKind::Bool, "eq") => match value {
            "true" => FilterOp::Bool(true),
            "false" => FilterOp::Bool(false),
            _ => return Err(Invalid::new("is_boolean", "must be true or false")),
        },
        (FilterKind::Time, "gt" | "gte" | "lt" | "lte") => {
            let comparison = match op {
                "gt" => Comparison::Gt,
                "gte" => Comparison::Gte,
                "lt" => Comparison::Lt,
                _ => Comparison::Lte,
            };
            let at = chrono::DateTime::parse_from_rfc3339(value)
                .map_err(|_| Invalid::new("invalid", "must be an RFC 3339 date-time, e.g. 2025-09-19T20:59:43Z"))?;
            FilterOp::Time(comparison, at.timestamp_micros())
        }
        (FilterKind::Time, _) => {
            return Err(Invalid::new("invalid", format!("unknown operator {op:?}: use gt, gte, lt or lte")));
        }
        (FilterKind::Text, _) => {
            return Err(Invalid::new("invalid", format!("unknown operator {op:?}: use eq or contains")));
        }
        _ => {
            return Err(Invalid::new("invalid", format!("unknown operator {op:?}: use eq")));
        }
    };
    Ok(Filter { field, op })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: ListSchema = ListSchema {
        sortable: &["created_at", "name"],
        filters: &[
            ("name", FilterKind::Text),
            ("id", FilterKind::Exact),
            ("labels", FilterKind::Labels),
            ("enabled", FilterKind::Bool),
            ("occurred_at", FilterKind::Time),
        ],
    };

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_list_takes_at_most_twenty_filters() {
        let schema = ListSchema { sortable: &[], filters: &[("name", FilterKind::Text)] };
        let pairs = |n: usize| (0..n).map(|i| ("filter[name]".to_owned(), format!("v{i}"))).collect::<Vec<_>>();
        assert!(ListParams::parse(&pairs(20), &schema).is_ok());
        let refused = ListParams::parse(&pairs(21), &schema).unwrap_err();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].1.rule, "max_items");
    }

    #[test]
    fn a_one_of_filter_takes_eq_or_comma_separated_oeq_quoted_or_not() {
        let schema = ListSchema { sortable: &[], filters: &[("type", FilterKind::OneOf)] };
        let op = |name: &str, value: &str| {
            ListParams::parse(&pairs(&[(name, value)]), &schema).map(|p| p.filters[0].op.clone())
        };
        assert_eq!(op("filter[type]", "\"oidc\""), Ok(FilterOp::In(vec!["oidc".into()])));
        assert_eq!(op("filter[type][oeq]", "oidc, custom"), Ok(FilterOp::In(vec!["oidc".into(), "custom".into()])));
        assert!(op("filter[type][contains]", "o").is_err());
        assert_eq!(
            op("filter[type][oeq]", &",".repeat(100)),
            Err(vec![("filter[type][oeq]".into(), Invalid::max_items(100))])
        );
    }

    #[test]
    fn list_params_parse_pages_sorts_and_filters() {
        let params = ListParams::parse(
            &pairs(&[
                ("page[size]", "10"),
                ("page[number]", "3"),
                ("sort", "name desc,created_at"),
                ("filter[name][contains]", "App"),
                ("filter[id]", "x"),
                ("filter[labels][eq]", "env:prod"),
                ("filter[enabled]", "false"),
            ]),
            &SCHEMA,
        );
        let params = params.unwrap_or_default();
        assert_eq!((params.page_size, params.page_number, params.offset()), (10, 3, 20));
        assert_eq!(
            params.sort,
            vec![SortKey { field: "name", descending: true }, SortKey { field: "created_at", descending: false }]
        );
        assert_eq!(params.filters.len(), 4);
        assert_eq!(params.filters[2].op, FilterOp::Label { key: "env".into(), value: Some("prod".into()) });
    }

    #[test]
    fn list_params_reject_unknown_and_out_of_range_values() {
        for (name, value) in [
            ("page[size]", "0"),
            ("page[size]", "1001"),
            ("page[number]", "x"),
            ("sort", "audience"),
            ("sort", "name sideways"),
            ("filter[secret]", "x"),
            ("filter[id][contains]", "x"),
            ("filter[enabled]", "yes"),
            ("filter[occurred_at][gte]", "yesterday"),
            ("filter[occurred_at]", "2025-09-19T20:59:43Z"),
            ("unknown", "1"),
        ] {
            let errors = ListParams::parse(&pairs(&[(name, value)]), &SCHEMA).unwrap_err();
            assert_eq!(errors[0].0, name, "{name}={value}");
        }
    }

    #[test]
    fn time_filters_take_rfc3339_bounds_in_microseconds() {
        let params = ListParams::parse(
            &pairs(&[
                ("filter[occurred_at][gte]", "2025-09-19T20:59:43.302149Z"),
                ("filter[occurred_at][lt]", "2025-09-20T00:00:00+02:00"),
            ]),
            &SCHEMA,
        )
        .unwrap_or_default();
        assert_eq!(params.filters[0].op, FilterOp::Time(Comparison::Gte, 1_758_315_583_302_149));
        assert_eq!(params.filters[1].op, FilterOp::Time(Comparison::Lt, 1_758_319_200_000_000));
    }

    #[test]
    fn empty_page_parameters_fall_back_to_defaults() {
        let params =
            ListParams::parse(&pairs(&[("page[size]", ""), ("page[number]", "")]), &SCHEMA).unwrap_or_default();
        assert_eq!((params.page_size, params.page_number), (DEFAULT_PAGE_SIZE, 1));
    }
}
