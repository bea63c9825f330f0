//! sprig's encoding functions.

use super::Func;

pub(super) const FUNCS: &[Func] = &[];
