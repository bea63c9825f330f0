//! sprig's strings functions.

use super::Func;

pub(super) const FUNCS: &[Func] = &[];
