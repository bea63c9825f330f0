//! sprig's math functions. Integer ones cast their arguments with `cast.ToInt64` and wrap
//! on overflow like Go's int64; the `...f` ones compute in decimal, as sprig does with
//! shopspring/decimal, so `addf 0.1 0.2` is 0.3.

use rand::Rng;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use super::super::value::{Elem, Value};
use super::{Call, Func, FuncError, FuncResult, check_count, func, int_arg, string_result, typed_list_result};

pub(super) const FUNCS: &[Func] = &[
    func!("add", 0.., add),
    func!("add1", 1, add1),
    func!("sub", 2, sub),
    func!("mul", 1.., mul),
    func!("div", 2, div),
    func!("mod", 2, modulo),
    func!("max", 1.., max),
    func!("biggest", 1.., max),
    func!("min", 1.., min),
    func!("floor", 1, floor),
    func!("ceil", 1, ceil),
    func!("round", 2..=3, round),
    func!("randInt", 2, rand_int),
    func!("addf", 0.., addf),
    func!("add1f", 1, add1f),
    func!("subf", 1.., subf),
    func!("mulf", 1.., mulf),
    func!("divf", 1.., divf),
    func!("maxf", 1.., maxf),
    func!("minf", 1.., minf),
    func!("until", 1, until),
    func!("untilStep", 3, until_step),
    func!("seq", 0.., seq),
];

fn add(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Int(args.iter().fold(0i64, |sum, v| sum.wrapping_add(v.to_i64()))))
}

fn add1(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Int(args[0].to_i64().wrapping_add(1)))
}

fn sub(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Int(args[0].to_i64().wrapping_sub(args[1].to_i64())))
}

fn mul(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Int(args.iter().fold(1i64, |product, v| product.wrapping_mul(v.to_i64()))))
}

/// Go panics on integer division by zero; the template sees that error.
fn div(_: &mut Call, args: &[Value]) -> FuncResult {
    let (a, b) = (args[0].to_i64(), args[1].to_i64());
    if b == 0 {
        return Err(FuncError::new("runtime error: integer divide by zero"));
    }
    Ok(Value::Int(a.wrapping_div(b)))
}

fn modulo(_: &mut Call, args: &[Value]) -> FuncResult {
    let (a, b) = (args[0].to_i64(), args[1].to_i64());
    if b == 0 {
        return Err(FuncError::new("runtime error: integer divide by zero"));
    }
    Ok(Value::Int(a.wrapping_rem(b)))
}

fn max(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Int(args.iter().map(Value::to_i64).max().unwrap_or(0)))
}

fn min(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Int(args.iter().map(Value::to_i64).min().unwrap_or(0)))
}

fn floor(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Float(args[0].to_f64().floor()))
}

fn ceil(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Float(args[0].to_f64().ceil()))
}

/// `round x places [roundOn]`: rounds up when the dropped fraction reaches `roundOn` (0.5).
fn round(_: &mut Call, args: &[Value]) -> FuncResult {
    let value = args[0].to_f64();
    let places = int_arg(args, 1)?;
    let round_on = args.get(2).map_or(0.5, Value::to_f64);
    let pow = 10f64.powi(places.clamp(-400, 400) as i32);
    let digit = pow * value;
    let fraction = digit.fract();
    let rounded = if fraction >= round_on { digit.ceil() } else { digit.floor() };
    Ok(Value::Float(rounded / pow))
}

/// `randInt min max`: a random integer in [min, max).
fn rand_int(_: &mut Call, args: &[Value]) -> FuncResult {
    let (low, high) = (int_arg(args, 0)?, int_arg(args, 1)?);
    if high <= low {
        return Err(FuncError::new("invalid argument to Intn"));
    }
    Ok(Value::Int(rand::rng().random_range(low..high)))
}

/// shopspring's `NewFromFloat`: the shortest decimal that reads back as the float (Rust's
/// `Display` gives those digits); NaN and infinities make Go panic, an error here.
fn decimal(value: &Value) -> Result<Decimal, FuncError> {
    let f = value.to_f64();
    if !f.is_finite() {
        let name = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        return Err(FuncError::new(format!("Cannot create a Decimal from {name}")));
    }
    Ok(f.to_string().parse::<Decimal>().ok().or_else(|| Decimal::from_f64(f)).unwrap_or_default())
}

/// shopspring's `Float64`: the double nearest the decimal (through its text, which is
/// exact; `Decimal::to_f64` can be off by an ulp).
fn to_float(decimal: Decimal) -> f64 {
    decimal.to_string().parse::<f64>().ok().or_else(|| decimal.to_f64()).unwrap_or(0.0)
}

/// One of sprig's decimal operations, exactly in decimal and, past rust_decimal's 28
/// digits (where shopspring's arbitrary precision goes on), in floating point.
#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

impl Op {
    fn decimal(self, a: Decimal, b: Decimal) -> Option<Decimal> {
        match self {
            Op::Add => a.checked_add(b),
            Op::Sub => a.checked_sub(b),
            Op::Mul => a.checked_mul(b),
            // shopspring divides to 16 decimal places (DivisionPrecision), half away from zero.
            Op::Div => a
                .checked_div(b)
                .map(|q| q.round_dp_with_strategy(16, rust_decimal::RoundingStrategy::MidpointAwayFromZero)),
        }
    }

    fn float(self, a: f64, b: f64) -> f64 {
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
        }
    }
}

/// Folds left to right from `start`.
fn fold(start: &Value, args: &[Value], op: Op) -> FuncResult {
    let mut acc = Some(decimal(start)?);
    let mut approx = to_float(acc.unwrap_or_default());
    for arg in args {
        let next = decimal(arg)?;
        acc = acc.and_then(|a| op.decimal(a, next));
        approx = match acc {
            Some(exact) => to_float(exact),
            None => op.float(approx, to_float(next)),
        };
    }
    Ok(Value::Float(approx))
}

fn addf(_: &mut Call, args: &[Value]) -> FuncResult {
    fold(&Value::Int(0), args, Op::Add)
}

fn add1f(_: &mut Call, args: &[Value]) -> FuncResult {
    fold(&args[0], &[Value::Int(1)], Op::Add)
}

fn subf(_: &mut Call, args: &[Value]) -> FuncResult {
    fold(&args[0], &args[1..], Op::Sub)
}

fn mulf(_: &mut Call, args: &[Value]) -> FuncResult {
    fold(&args[0], &args[1..], Op::Mul)
}

fn divf(_: &mut Call, args: &[Value]) -> FuncResult {
    if args[1..].iter().any(|v| v.to_f64() == 0.0) {
        return Err(FuncError::new("decimal division by 0"));
    }
    fold(&args[0], &args[1..], Op::Div)
}

fn maxf(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Float(args.iter().map(Value::to_f64).fold(f64::NEG_INFINITY, f64::max)))
}

fn minf(_: &mut Call, args: &[Value]) -> FuncResult {
    Ok(Value::Float(args.iter().map(Value::to_f64).fold(f64::INFINITY, f64::min)))
}

/// sprig's `untilStep`: start, start+step, ... up to but excluding stop; empty when the
/// step points away from stop.
fn steps(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FuncError> {
    let (start, stop, step) = (i128::from(start), i128::from(stop), i128::from(step));
    let count = if step > 0 && stop > start {
        (stop - start - 1) / step + 1
    } else if step < 0 && stop < start {
        (start - stop - 1) / -step + 1
    } else {
        0
    };
    check_count(usize::try_from(count).unwrap_or(usize::MAX))?;
    // Within the limit, every item lies between start and stop, so it fits an i64.
    Ok((0..count).map(|i| (start + i * step) as i64).collect())
}

fn ints(call: &mut Call, values: Vec<i64>) -> FuncResult {
    typed_list_result(call, Elem::Int, values.into_iter().map(Value::Int).collect())
}

fn until(call: &mut Call, args: &[Value]) -> FuncResult {
    let count = int_arg(args, 0)?;
    ints(call, steps(0, count, if count < 0 { -1 } else { 1 })?)
}

fn until_step(call: &mut Call, args: &[Value]) -> FuncResult {
    ints(call, steps(int_arg(args, 0)?, int_arg(args, 1)?, int_arg(args, 2)?)?)
}

/// Unix `seq`: `seq 3` is "1 2 3", `seq 2 4`, `seq 0 2 10` (first, step, last), counting
/// down when last < first.
fn seq(call: &mut Call, args: &[Value]) -> FuncResult {
    let params = (0..args.len()).map(|i| int_arg(args, i)).collect::<Result<Vec<_>, _>>()?;
    let numbers = match params[..] {
        [end] => {
            let increment = if end < 1 { -1 } else { 1 };
            steps(1, end.saturating_add(increment), increment)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            steps(start, end.saturating_add(step), step)?
        }
        [start, step, end] => {
            let increment = if end < start { -1 } else { 1 };
            if end < start && step > 0 { Vec::new() } else { steps(start, end.saturating_add(increment), step)? }
        }
        _ => Vec::new(),
    };
    let text = numbers.iter().map(i64::to_string).collect::<Vec<_>>().join(" ");
    string_result(call, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn run(f: fn(&mut Call, &[Value]) -> FuncResult, args: &[Value]) -> FuncResult {
        f(&mut Call::new(Utc::now()), args)
    }

    fn ints(values: &[i64]) -> Value {
        Value::list(values.iter().copied().map(Value::Int).collect())
    }

    #[test]
    fn integer_math_casts_like_sprig() {
        assert_eq!(run(add, &[Value::Int(1), Value::str("2"), Value::Float(3.9)]), Ok(Value::Int(6)));
        assert_eq!(run(add1, &[Value::str("x")]), Ok(Value::Int(1)));
        assert_eq!(run(sub, &[Value::Int(3), Value::Int(5)]), Ok(Value::Int(-2)));
        assert_eq!(run(mul, &[Value::Int(2), Value::Int(3), Value::Int(4)]), Ok(Value::Int(24)));
        assert_eq!(run(div, &[Value::Int(7), Value::Int(2)]), Ok(Value::Int(3)));
        assert_eq!(run(modulo, &[Value::Int(-7), Value::Int(3)]), Ok(Value::Int(-1)));
        assert!(run(div, &[Value::Int(1), Value::Int(0)]).unwrap_err().0.contains("divide by zero"));
        assert_eq!(run(max, &[Value::Int(1), Value::Int(9), Value::Int(3)]), Ok(Value::Int(9)));
        assert_eq!(run(min, &[Value::Int(4), Value::Int(-2)]), Ok(Value::Int(-2)));
        assert_eq!(run(add, &[Value::Int(i64::MAX), Value::Int(1)]), Ok(Value::Int(i64::MIN)));
    }

    #[test]
    fn float_math_is_decimal_like_sprig() {
        assert_eq!(run(addf, &[Value::Float(0.1), Value::Float(0.2)]), Ok(Value::Float(0.3)));
        assert_eq!(run(subf, &[Value::Float(1.5), Value::Float(0.25)]), Ok(Value::Float(1.25)));
        assert_eq!(run(mulf, &[Value::Float(1.1), Value::Int(3)]), Ok(Value::Float(3.3)));
        assert_eq!(run(divf, &[Value::Int(10), Value::Int(4)]), Ok(Value::Float(2.5)));
        assert!(run(divf, &[Value::Int(1), Value::Int(0)]).is_err());
        assert_eq!(run(floor, &[Value::Float(1.7)]), Ok(Value::Float(1.0)));
        assert_eq!(run(ceil, &[Value::str("1.2")]), Ok(Value::Float(2.0)));
        assert_eq!(run(round, &[Value::Float(123.555555), Value::Int(3)]), Ok(Value::Float(123.556)));
        assert_eq!(run(round, &[Value::Float(123.4), Value::Int(0), Value::Float(0.3)]), Ok(Value::Float(124.0)));
        assert_eq!(run(maxf, &[Value::Float(1.5), Value::Int(2)]), Ok(Value::Float(2.0)));
    }

    #[test]
    fn sequences_follow_sprig() {
        assert_eq!(run(until, &[Value::Int(3)]), Ok(ints(&[0, 1, 2])));
        assert_eq!(run(until, &[Value::Int(-2)]), Ok(ints(&[0, -1])));
        assert_eq!(run(until_step, &[Value::Int(3), Value::Int(6), Value::Int(2)]), Ok(ints(&[3, 5])));
        assert_eq!(run(until_step, &[Value::Int(0), Value::Int(5), Value::Int(-1)]), Ok(ints(&[])));
        assert_eq!(run(seq, &[Value::Int(5)]), Ok(Value::str("1 2 3 4 5")));
        assert_eq!(run(seq, &[Value::Int(-3)]), Ok(Value::str("1 0 -1 -2 -3")));
        assert_eq!(run(seq, &[Value::Int(2), Value::Int(5)]), Ok(Value::str("2 3 4 5")));
        assert_eq!(run(seq, &[Value::Int(0), Value::Int(2), Value::Int(10)]), Ok(Value::str("0 2 4 6 8 10")));
        assert_eq!(run(seq, &[Value::Int(10), Value::Int(-2), Value::Int(0)]), Ok(Value::str("10 8 6 4 2 0")));
        assert_eq!(run(seq, &[Value::Int(10), Value::Int(2), Value::Int(0)]), Ok(Value::str("")));
    }

    #[test]
    fn huge_sequences_are_refused_before_allocating() {
        assert!(run(until, &[Value::Int(i64::MAX)]).unwrap_err().0.contains("exceed the limit"));
        assert!(run(seq, &[Value::Int(i64::MIN), Value::Int(i64::MAX)]).is_err());
        assert!(run(until_step, &[Value::Int(i64::MIN), Value::Int(i64::MAX), Value::Int(1)]).is_err());
    }
}
