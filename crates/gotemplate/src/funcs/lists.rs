//! sprig's list and dict functions. Go's `set`, `unset` and `merge` change the map they are
//! given; values here are immutable, so the evaluator stores their result back into the
//! variable that held the map (`${ $_ := set $d "k" 1 }` then `$d.k` works as in Go).

use std::collections::BTreeMap;

use super::super::value::{Elem, Value};
use super::{Call, Func, FuncError, FuncResult, check_count, func, int_arg, list_result, map_arg, string_arg};

pub(super) const FUNCS: &[Func] = &[
    func!("list", 0.., list),
    func!("tuple", 0.., list),
    func!("append", 2, push),
    func!("push", 2, push),
    func!("mustAppend", 2, push),
    func!("mustPush", 2, push),
    func!("prepend", 2, prepend),
    func!("mustPrepend", 2, prepend),
    func!("concat", 0.., concat),
    func!("first", 1, first),
    func!("mustFirst", 1, first),
    func!("last", 1, last),
    func!("mustLast", 1, last),
    func!("rest", 1, rest),
    func!("mustRest", 1, rest),
    func!("initial", 1, initial),
    func!("mustInitial", 1, initial),
    func!("reverse", 1, reverse),
    func!("mustReverse", 1, reverse),
    func!("uniq", 1, uniq),
    func!("mustUniq", 1, uniq),
    func!("without", 1.., without),
    func!("mustWithout", 1.., without),
    func!("has", 2, has),
    func!("mustHas", 2, has),
    func!("slice", 1.., slice),
    func!("mustSlice", 1.., slice),
    func!("chunk", 2, chunk),
    func!("mustChunk", 2, chunk),
    func!("dict", 0.., dict),
    func!("get", 2, get),
    func!("set", 3, set),
    func!("unset", 2, unset),
    func!("hasKey", 2, has_key),
    func!("pluck", 1.., pluck),
    func!("keys", 0.., keys),
    func!("values", 1, values),
    func!("pick", 1.., pick),
    func!("omit", 1.., omit),
    func!("merge", 1.., merge),
    func!("mustMerge", 1.., merge),
    func!("mergeOverwrite", 1.., merge_overwrite),
    func!("mustMergeOverwrite", 1.., merge_overwrite),
    func!("dig", 3.., dig),
];

/// Functions whose first argument Go would modify in place (see the module comment).
pub(crate) const MUTATING: &[&str] = &["set", "unset", "merge", "mustMerge", "mergeOverwrite", "mustMergeOverwrite"];

/// The list argument of sprig's list functions: a slice, or sprig's panic message.
fn items<'a>(args: &'a [Value], index: usize, verb: &str) -> Result<&'a [Value], FuncError> {
    match args.get(index) {
        Some(Value::List(items)) => Ok(items),
        Some(other) => Err(FuncError::new(format!("Cannot {verb} type {}", other.type_name()))),
        None => Ok(&[]),
    }
}

fn list(call: &mut Call, args: &[Value]) -> FuncResult {
    list_result(call, args.to_vec())
}

fn push(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut out = items(args, 0, "push on")?.to_vec();
    out.push(args[1].clone());
    list_result(call, out)
}

fn prepend(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut out = vec![args[1].clone()];
    out.extend_from_slice(items(args, 0, "prepend on")?);
    list_result(call, out)
}

fn concat(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut out = Vec::new();
    for index in 0..args.len() {
        let next = items(args, index, "concat")?;
        check_count(out.len() + next.len())?;
        out.extend_from_slice(next);
    }
    list_result(call, out)
}

fn first(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(items(args, 0, "find first on")?.first().cloned().unwrap_or(Value::Nil))
}

fn last(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(items(args, 0, "find last on")?.last().cloned().unwrap_or(Value::Nil))
}

/// An empty list gives Go's nil `[]interface{}`, which prints as `[]`.
fn rest(call: &mut Call, args: &[Value]) -> FuncResult {
    match items(args, 0, "find rest on")? {
        [] => Ok(Value::list(Vec::new())),
        [_, tail @ ..] => list_result(call, tail.to_vec()),
    }
}

fn initial(call: &mut Call, args: &[Value]) -> FuncResult {
    match items(args, 0, "find initial on")? {
        [] => Ok(Value::list(Vec::new())),
        [head @ .., _] => list_result(call, head.to_vec()),
    }
}

fn reverse(call: &mut Call, args: &[Value]) -> FuncResult {
    list_result(call, items(args, 0, "find reverse on")?.iter().rev().cloned().collect())
}

fn uniq(call: &mut Call, args: &[Value]) -> FuncResult {
    let all = items(args, 0, "find uniq on")?;
    call.charge(all.len() * all.len() / 64)?;
    let mut out: Vec<Value> = Vec::new();
    for item in all {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    list_result(call, out)
}

fn without(call: &mut Call, args: &[Value]) -> FuncResult {
    let omit = &args[1..];
    let kept = items(args, 0, "find without on")?.iter().filter(|item| !omit.contains(item)).cloned().collect();
    list_result(call, kept)
}

/// `has needle haystack`.
fn has(_: &mut Call, args: &[Value]) -> FuncResult {
    match &args[1] {
        Value::Nil => Ok(Value::Bool(false)),
        Value::List(haystack) => Ok(Value::Bool(haystack.contains(&args[0]))),
        other => Err(FuncError::new(format!("Cannot find has on type {}", other.type_name()))),
    }
}

/// sprig's `slice list [start [end]]`.
fn slice(call: &mut Call, args: &[Value]) -> FuncResult {
    let (all, elem) = match &args[0] {
        Value::List(items) => (items.as_slice(), items.elem),
        other => {
            return Err(FuncError::new(format!("list should be type of slice or array but {}", other.type_name())));
        }
    };
    if all.is_empty() {
        return Ok(Value::Nil);
    }
    let start = args.get(1).map_or(0, Value::to_i64);
    let end = args.get(2).map_or(all.len() as i64, Value::to_i64);
    let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
        return Err(FuncError::new(format!("slice bounds out of range [{start}:{end}]")));
    };
    if start > end || end > all.len() {
        return Err(FuncError::new(format!("slice bounds out of range [{start}:{end}] with capacity {}", all.len())));
    }
    // Go's reflect slicing keeps the element type (`[]string` stays `[]string`).
    check_count(end - start)?;
    call.charge(end - start)?;
    Ok(Value::typed_list(elem, all[start..end].to_vec()))
}

/// `chunk size list`: the list in pieces of `size`.
fn chunk(call: &mut Call, args: &[Value]) -> FuncResult {
    let size = int_arg(args, 0)?;
    let all = items(args, 1, "chunk")?;
    let Ok(size) = usize::try_from(size) else { return Err(FuncError::new("chunk size must be positive")) };
    if size == 0 {
        return Err(FuncError::new("chunk size must be positive"));
    }
    let pieces = all.chunks(size).map(|piece| Value::list(piece.to_vec())).collect();
    list_result(call, pieces)
}

/// `dict k1 v1 k2 v2`: keys are stringified; a key without a value gets "".
fn dict(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut out = BTreeMap::new();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
        out.insert(pair[0].to_str(), value);
    }
    call.charge(out.len())?;
    Ok(Value::map(out))
}

/// `get dict key`: the value, or "" when the key is missing (sprig's choice).
fn get(_: &mut Call, args: &[Value]) -> FuncResult {
    let entries = map_arg(args, 0)?;
    Ok(entries.get(string_arg(args, 1)?).cloned().unwrap_or_else(|| Value::str("")))
}

fn set(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut entries = map_arg(args, 0)?.into_owned();
    entries.insert(string_arg(args, 1)?.to_owned(), args[2].clone());
    check_count(entries.len())?;
    call.charge(entries.len())?;
    Ok(Value::map(entries))
}

fn unset(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut entries = map_arg(args, 0)?.into_owned();
    entries.remove(string_arg(args, 1)?);
    call.charge(entries.len())?;
    Ok(Value::map(entries))
}

fn has_key(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Bool(map_arg(args, 0)?.contains_key(string_arg(args, 1)?)))
}

/// `pluck key d1 d2 ...`: the key's value in each dict that has it.
fn pluck(call: &mut Call, args: &[Value]) -> FuncResult {
    let key = string_arg(args, 0)?;
    let mut out = Vec::new();
    for index in 1..args.len() {
        if let Some(value) = map_arg(args, index)?.get(key) {
            out.push(value.clone());
        }
    }
    list_result(call, out)
}

/// `keys d1 d2 ...`: every key of every dict, a `[]string`. Go's order is random; ours is
/// sorted per dict.
fn keys(call: &mut Call, args: &[Value]) -> FuncResult {
    let mut out = Vec::new();
    for index in 0..args.len() {
        let entries = map_arg(args, index)?;
        check_count(out.len() + entries.len())?;
        out.extend(entries.keys().map(|k| Value::str(k.as_str())));
    }
    call.charge(out.len())?;
    Ok(Value::typed_list(Elem::Str, out))
}

/// A dict's values, in key order (Go's order is random).
fn values(call: &mut Call, args: &[Value]) -> FuncResult {
    list_result(call, map_arg(args, 0)?.values().cloned().collect())
}

fn key_names(args: &[Value]) -> Result<Vec<&str>, FuncError> {
    (1..args.len()).map(|i| string_arg(args, i)).collect()
}

fn pick(call: &mut Call, args: &[Value]) -> FuncResult {
    let entries = map_arg(args, 0)?;
    let wanted = key_names(args)?;
    let out: BTreeMap<_, _> =
        entries.iter().filter(|(k, _)| wanted.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    call.charge(out.len())?;
    Ok(Value::map(out))
}

fn omit(call: &mut Call, args: &[Value]) -> FuncResult {
    let entries = map_arg(args, 0)?;
    let unwanted = key_names(args)?;
    let out: BTreeMap<_, _> =
        entries.iter().filter(|(k, _)| !unwanted.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    call.charge(out.len())?;
    Ok(Value::map(out))
}

/// mergo's deep merge of `src` into `dst` (mergo 0.3, as sprig 3.2 uses it): a nil value
/// is taken only with `overwrite`; a map merges into a map `dst` holds, and replaces only a
/// missing or empty value there; any other value replaces with `overwrite` (even an empty
/// one), or where `dst` has none or an empty one.
fn merge_into(dst: &mut BTreeMap<String, Value>, src: &BTreeMap<String, Value>, overwrite: bool) {
    for (key, value) in src {
        match (dst.get_mut(key), value) {
            (existing, Value::Nil) => {
                if overwrite {
                    match existing {
                        Some(existing) => *existing = Value::Nil,
                        None => {
                            dst.insert(key.clone(), Value::Nil);
                        }
                    }
                }
            }
            (Some(Value::Map(existing)), Value::Map(incoming)) if !existing.is_empty() => {
                merge_into(&mut std::sync::Arc::make_mut(existing).entries, &incoming.entries, overwrite);
            }
            (Some(existing), Value::Map(_)) => {
                if existing.is_empty() {
                    *existing = value.clone();
                }
            }
            (Some(existing), value) => {
                if overwrite || existing.is_empty() {
                    *existing = value.clone();
                }
            }
            (None, value) => {
                dst.insert(key.clone(), value.clone());
            }
        }
    }
}

fn merged(call: &mut Call, args: &[Value], overwrite: bool) -> FuncResult {
    let mut out = map_arg(args, 0)?.into_owned();
    for index in 1..args.len() {
        let src = map_arg(args, index)?;
        merge_into(&mut out, &src, overwrite);
        check_count(out.len())?;
    }
    call.charge(out.len())?;
    Ok(Value::map(out))
}

fn merge(call: &mut Call, args: &[Value]) -> FuncResult {
    merged(call, args, false)
}

fn merge_overwrite(call: &mut Call, args: &[Value]) -> FuncResult {
    merged(call, args, true)
}

/// `dig "a" "b" default dict`: dict.a.b, or the default where a key is missing.
fn dig(_: &mut Call, args: &[Value]) -> FuncResult {
    let (path, rest) = args.split_at(args.len() - 2);
    let default = &rest[0];
    let mut current = match &rest[1] {
        Value::Map(map) if map.elem == Elem::Any => rest[1].clone(),
        other => return Err(FuncError::new(format!("dig needs a dict, got {}", other.type_name()))),
    };
    for (depth, key) in path.iter().enumerate() {
        let key = key.to_str();
        let Value::Map(entries) = &current else {
            return Err(FuncError::new(format!("dig: {} is not a dict", path[depth - 1].to_str())));
        };
        current = match entries.get(&key) {
            Some(value) => value.clone(),
            None => return Ok(default.clone()),
        };
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn run(f: fn(&mut Call, &[Value]) -> FuncResult, args: &[Value]) -> FuncResult {
        f(&mut Call::new(Utc::now()), args)
    }

    fn strs(values: &[&str]) -> Value {
        Value::list(values.iter().map(|s| Value::str(*s)).collect())
    }

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::map(pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
    }

    #[test]
    fn list_functions_follow_sprig() {
        let abc = strs(&["a", "b", "c"]);
        assert_eq!(run(push, &[abc.clone(), Value::str("d")]), Ok(strs(&["a", "b", "c", "d"])));
        assert_eq!(run(prepend, &[abc.clone(), Value::str("z")]), Ok(strs(&["z", "a", "b", "c"])));
        assert_eq!(run(first, std::slice::from_ref(&abc)), Ok(Value::str("a")));
        assert_eq!(run(last, std::slice::from_ref(&abc)), Ok(Value::str("c")));
        assert_eq!(run(rest, std::slice::from_ref(&abc)), Ok(strs(&["b", "c"])));
        assert_eq!(run(initial, std::slice::from_ref(&abc)), Ok(strs(&["a", "b"])));
        assert_eq!(run(reverse, std::slice::from_ref(&abc)), Ok(strs(&["c", "b", "a"])));
        assert_eq!(run(uniq, &[strs(&["a", "b", "a"])]), Ok(strs(&["a", "b"])));
        assert_eq!(run(without, &[abc.clone(), Value::str("b")]), Ok(strs(&["a", "c"])));
        assert_eq!(run(has, &[Value::str("b"), abc.clone()]), Ok(Value::Bool(true)));
        assert_eq!(run(has, &[Value::str("b"), Value::Nil]), Ok(Value::Bool(false)));
        assert_eq!(run(slice, &[abc.clone(), Value::Int(1)]), Ok(strs(&["b", "c"])));
        assert_eq!(run(slice, &[abc.clone(), Value::Int(1), Value::Int(2)]), Ok(strs(&["b"])));
        assert!(run(slice, &[abc.clone(), Value::Int(2), Value::Int(9)]).is_err());
        assert_eq!(run(concat, &[abc.clone(), strs(&["d"])]), Ok(strs(&["a", "b", "c", "d"])));
        assert_eq!(run(chunk, &[Value::Int(2), abc.clone()]), Ok(Value::list(vec![strs(&["a", "b"]), strs(&["c"])])));
        assert_eq!(run(first, &[strs(&[])]), Ok(Value::Nil));
        assert_eq!(run(push, &[Value::str("x"), Value::Int(1)]).unwrap_err().0, "Cannot push on type string");
    }

    #[test]
    fn dict_functions_follow_sprig() {
        let d = run(dict, &[Value::str("name1"), Value::str("value1"), Value::Int(2), Value::Bool(true)]).unwrap();
        assert_eq!(d, map(&[("name1", Value::str("value1")), ("2", Value::Bool(true))]));
        assert_eq!(run(dict, &[Value::str("lonely")]), Ok(map(&[("lonely", Value::str(""))])));
        assert_eq!(run(get, &[d.clone(), Value::str("name1")]), Ok(Value::str("value1")));
        assert_eq!(run(get, &[d.clone(), Value::str("missing")]), Ok(Value::str("")));
        assert_eq!(run(has_key, &[d.clone(), Value::str("2")]), Ok(Value::Bool(true)));
        let set_d = run(set, &[d.clone(), Value::str("x"), Value::Int(1)]).unwrap();
        assert_eq!(run(get, &[set_d.clone(), Value::str("x")]), Ok(Value::Int(1)));
        assert_eq!(run(unset, &[set_d, Value::str("x")]), Ok(d.clone()));
        assert_eq!(run(keys, std::slice::from_ref(&d)), Ok(strs(&["2", "name1"])));
        assert_eq!(run(pick, &[d.clone(), Value::str("2")]), Ok(map(&[("2", Value::Bool(true))])));
        assert_eq!(run(omit, &[d.clone(), Value::str("2")]), Ok(map(&[("name1", Value::str("value1"))])));
        assert_eq!(run(pluck, &[Value::str("name1"), d.clone(), map(&[])]), Ok(strs(&["value1"])));
    }

    #[test]
    fn merge_keeps_or_overwrites_deeply() {
        let dst = map(&[("a", Value::Int(1)), ("nested", map(&[("x", Value::Int(1))]))]);
        let src = map(&[
            ("a", Value::Int(2)),
            ("b", Value::Int(3)),
            ("nested", map(&[("x", Value::Int(9)), ("y", Value::Int(2))])),
        ]);
        assert_eq!(
            run(merge, &[dst.clone(), src.clone()]),
            Ok(map(&[
                ("a", Value::Int(1)),
                ("b", Value::Int(3)),
                ("nested", map(&[("x", Value::Int(1)), ("y", Value::Int(2))]))
            ]))
        );
        assert_eq!(
            run(merge_overwrite, &[dst, src]),
            Ok(map(&[
                ("a", Value::Int(2)),
                ("b", Value::Int(3)),
                ("nested", map(&[("x", Value::Int(9)), ("y", Value::Int(2))]))
            ]))
        );
    }

    #[test]
    fn dig_walks_nested_dicts_with_a_default() {
        let d = map(&[("user", map(&[("role", map(&[("name", Value::str("admin"))]))]))]);
        let args = |path: &[&str]| {
            let mut args: Vec<Value> = path.iter().map(|p| Value::str(*p)).collect();
            args.push(Value::str("none"));
            args.push(d.clone());
            args
        };
        assert_eq!(run(dig, &args(&["user", "role", "name"])), Ok(Value::str("admin")));
        assert_eq!(run(dig, &args(&["user", "missing", "name"])), Ok(Value::str("none")));
        assert!(run(dig, &args(&["user", "role", "name", "deeper"])).is_err());
    }
}
