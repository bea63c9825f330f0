//! sprig's dates functions.

use super::Func;

pub(super) const FUNCS: &[Func] = &[];
