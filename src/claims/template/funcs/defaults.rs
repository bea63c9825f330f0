//! sprig's defaults functions.

use super::Func;

pub(super) const FUNCS: &[Func] = &[];
