//! The static type of a template's root value, so that a template naming a field the value
//! will not have is rejected when it is parsed, not when it renders.

/// The static type of a value, enough to reject `.Client.Nmae` at parse time. The caller
/// describes its root value with one (usually a `static`) and passes it to
/// [`Template::parse`](crate::Template::parse).
#[derive(Debug)]
pub enum Shape {
    /// A Go struct: its type name (for error messages) and its fields in declaration order.
    Struct(&'static str, &'static [(&'static str, Shape)]),
    /// A map: any key, values of the inner shape.
    Map(&'static Shape),
    /// A value without fields, named by its Go type.
    Scalar(&'static str),
    /// A `time.Time`: its methods (`.Unix`, `.Format`) can follow.
    Time,
}

static STRING: Shape = Shape::Scalar("string");
static TIME: Shape = Shape::Time;

/// The shape of a time method's result other than a time.
fn scalar(type_name: &'static str) -> &'static Shape {
    static RESULTS: [Shape; 6] = [
        Shape::Scalar("int64"),
        Shape::Scalar("int"),
        Shape::Scalar("bool"),
        Shape::Scalar("string"),
        Shape::Scalar("time.Month"),
        Shape::Scalar("time.Weekday"),
    ];
    RESULTS.iter().find(|shape| matches!(shape, Shape::Scalar(name) if *name == type_name)).unwrap_or(&STRING)
}

impl Shape {
    /// Whether the field chain `.A.B.C` exists; the error names the first missing field.
    pub(crate) fn check(&self, chain: &[String], prefix: &str) -> Result<(), String> {
        let mut shape = self;
        for (depth, name) in chain.iter().enumerate() {
            shape = match shape {
                Shape::Struct(type_name, fields) => match fields.iter().find(|(field, _)| field == name) {
                    Some((_, inner)) => inner,
                    None => {
                        let known: Vec<&str> = fields.iter().map(|(field, _)| *field).collect();
                        let path = format!("{prefix}{}", chain[..=depth].join("."));
                        return Err(format!(
                            "unknown field {path}: {type_name} has no field {name} (it has {})",
                            known.join(", ")
                        ));
                    }
                },
                // Go looks a key up when the template runs; what a missing key gives (no
                // value) takes any field after it, so nothing past a key is checked.
                Shape::Map(_) => return Ok(()),
                Shape::Time => match super::methods::result_type(name) {
                    Some("time.Time") => &TIME,
                    Some(type_name) => scalar(type_name),
                    None => {
                        let path = format!("{prefix}{}", chain[..depth].join("."));
                        return Err(format!("can't evaluate field {name} of {path}: it is a time.Time"));
                    }
                },
                Shape::Scalar(type_name) => {
                    let path = format!("{prefix}{}", chain[..depth].join("."));
                    return Err(format!("can't evaluate field {name} of {path}: it is a {type_name}"));
                }
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static PERSON: [(&str, Shape); 3] =
        [("Name", Shape::Scalar("string")), ("Born", Shape::Time), ("Tags", Shape::Map(&STRING))];
    static ROOT: Shape = Shape::Struct("Root", &[("Person", Shape::Struct("Person", &PERSON))]);

    fn chain(path: &str) -> Vec<String> {
        path.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn known_fields_check_and_others_are_named() {
        for path in ["Person.Name", "Person.Tags.anything.at.all", "Person.Born.Unix", "Person.Born.UTC.Year"] {
            assert!(ROOT.check(&chain(path), ".").is_ok(), "{path}");
        }
        let error = ROOT.check(&chain("Person.Nmae"), ".").unwrap_err();
        assert_eq!(error, "unknown field .Person.Nmae: Person has no field Nmae (it has Name, Born, Tags)");
        let error = ROOT.check(&chain("Person.Name.First"), "$.").unwrap_err();
        assert_eq!(error, "can't evaluate field First of $.Person.Name: it is a string");
        let error = ROOT.check(&chain("Person.Born.Unix.Big"), ".").unwrap_err();
        assert_eq!(error, "can't evaluate field Big of .Person.Born.Unix: it is a int64");
        let error = ROOT.check(&chain("Person.Born.Nope"), ".").unwrap_err();
        assert_eq!(error, "can't evaluate field Nope of .Person.Born: it is a time.Time");
    }
}
