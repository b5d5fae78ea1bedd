//! The subset of the ARM template language `az vm create` sends: `[...]` expressions with
//! string literals, numbers, `parameters`, `variables`, `concat`, `resourceId`, `reference`,
//! `resourceGroup()`, `subscription()`, `copyIndex`, member access and indexing.

use serde_json::{Value, json};

/// Nesting deeper than this (variables naming variables) is refused.
const MAX_DEPTH: usize = 16;

/// What expressions can see.
pub(crate) struct Scope<'a> {
    /// Parameter values by name.
    pub(crate) parameters: &'a serde_json::Map<String, Value>,
    /// The template's variables (unevaluated).
    pub(crate) variables: &'a serde_json::Map<String, Value>,
    /// The subscription id.
    pub(crate) subscription: &'a str,
    /// The resource group name.
    pub(crate) group: &'a str,
    /// The resource group's location.
    pub(crate) location: &'a str,
    /// Reads a deployed resource by ARM id (`reference`); `None` when it does not exist.
    pub(crate) lookup: &'a dyn Fn(&str) -> Option<Value>,
}

/// Why a template cannot be deployed (ARM's `InvalidTemplate` message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateError(pub(crate) String);

impl Scope<'_> {
    /// Evaluates every expression inside `value`.
    pub(crate) fn resolve(&self, value: &Value) -> Result<Value, TemplateError> {
        self.resolve_at(value, 0)
    }

    fn resolve_at(&self, value: &Value, depth: usize) -> Result<Value, TemplateError> {
        if depth > MAX_DEPTH {
            return Err(TemplateError(
                "The template nests expressions too deeply.".into(),
            ));
        }
        Ok(match value {
            Value::String(text) => self.string(text, depth)?,
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.resolve_at(v, depth))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.resolve_at(v, depth)?)))
                    .collect::<Result<_, TemplateError>>()?,
            ),
            other => other.clone(),
        })
    }

    fn string(&self, text: &str, depth: usize) -> Result<Value, TemplateError> {
        if let Some(escaped) = text.strip_prefix("[[") {
            return Ok(json!(format!("[{escaped}")));
        }
        let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
            return Ok(json!(text));
        };
        let mut parser = Parser {
            text: inner.as_bytes(),
            at: 0,
        };
        let value = self.expression(&mut parser, depth)?;
        parser.skip_space();
        if parser.at != parser.text.len() {
            return Err(invalid(text, "unexpected text after the expression"));
        }
        Ok(value)
    }

    fn expression(&self, p: &mut Parser<'_>, depth: usize) -> Result<Value, TemplateError> {
        p.skip_space();
        let mut value = match p.peek() {
            Some(b'\'') => json!(p.string()?),
            Some(b'0'..=b'9' | b'-') => p.number()?,
            Some(_) => {
                let name = p.identifier()?;
                p.expect(b'(')?;
                let mut args = Vec::new();
                p.skip_space();
                if p.peek() == Some(b')') {
                    p.at += 1;
                } else {
                    loop {
                        args.push(self.expression(p, depth)?);
                        p.skip_space();
                        match p.next() {
                            Some(b',') => {}
                            Some(b')') => break,
                            _ => return Err(p.error("expected `,` or `)`")),
                        }
                    }
                }
                self.call(&name, &args, depth)?
            }
            None => return Err(p.error("an expression is missing")),
        };
        loop {
            match p.peek() {
                Some(b'.') => {
                    p.at += 1;
                    let field = p.identifier()?;
                    value = member(&value, &field)?;
                }
                Some(b'[') => {
                    p.at += 1;
                    let index = self.expression(p, depth)?;
                    p.skip_space();
                    p.expect(b']')?;
                    value = match (&value, &index) {
                        (Value::Array(items), Value::Number(n)) => n
                            .as_u64()
                            .and_then(|i| items.get(usize::try_from(i).ok()?))
                            .cloned()
                            .ok_or_else(|| {
                                TemplateError(format!("The index {n} is out of range."))
                            })?,
                        (Value::Object(_), Value::String(key)) => member(&value, key)?,
                        _ => return Err(p.error("cannot index this value")),
                    };
                }
                _ => return Ok(value),
            }
        }
    }

    fn call(&self, name: &str, args: &[Value], depth: usize) -> Result<Value, TemplateError> {
        let text = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or_default();
        match name.to_ascii_lowercase().as_str() {
            "parameters" => self.parameters.get(text(0)).cloned().ok_or_else(|| {
                TemplateError(format!(
                    "The template parameter '{}' is not found.",
                    text(0)
                ))
            }),
            "variables" => {
                let raw = self.variables.get(text(0)).ok_or_else(|| {
                    TemplateError(format!("The template variable '{}' is not found.", text(0)))
                })?;
                self.resolve_at(raw, depth + 1)
            }
            "concat" => {
                if args.iter().all(Value::is_array) {
                    let joined: Vec<Value> = args
                        .iter()
                        .flat_map(|a| a.as_array().cloned().unwrap_or_default())
                        .collect();
                    return Ok(Value::Array(joined));
                }
                Ok(json!(args.iter().map(plain).collect::<String>()))
            }
            "resourceid" => self.resource_id(args),
            "reference" => {
                let target = text(0);
                let id = if target.starts_with("/subscriptions/") {
                    target.to_owned()
                } else {
                    self.resource_id(&split_type_name(target))?
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                };
                let found = (self.lookup)(&id).ok_or_else(|| {
                    TemplateError(format!(
                        "The resource '{id}' is not defined in the template."
                    ))
                })?;
                let full = args
                    .iter()
                    .any(|a| a.as_str().is_some_and(|s| s.eq_ignore_ascii_case("full")));
                Ok(if full {
                    found
                } else {
                    found["properties"].clone()
                })
            }
            "resourcegroup" => Ok(json!({
                "id": format!("/subscriptions/{}/resourceGroups/{}", self.subscription, self.group),
                "name": self.group,
                "location": self.location,
            })),
            "subscription" => Ok(json!({
                "id": format!("/subscriptions/{}", self.subscription),
                "subscriptionId": self.subscription,
            })),
            "copyindex" => Ok(json!(args.first().and_then(Value::as_i64).unwrap_or(0))),
            "tolower" => Ok(json!(text(0).to_lowercase())),
            "toupper" => Ok(json!(text(0).to_uppercase())),
            "string" => Ok(json!(args.first().map(plain).unwrap_or_default())),
            other => Err(TemplateError(format!(
                "The template function '{other}' is not valid here (the emulator evaluates parameters, variables, concat, resourceId, reference, resourceGroup, subscription, copyIndex)."
            ))),
        }
    }

    /// `resourceId([subscriptionId,] [resourceGroup,] type, name1[, name2…])`.
    fn resource_id(&self, args: &[Value]) -> Result<Value, TemplateError> {
        let args: Vec<String> = args.iter().map(plain).collect();
        let Some(type_at) = args.iter().position(|a| a.contains('/')) else {
            return Err(TemplateError("resourceId needs a resource type.".into()));
        };
        let (subscription, group) = match type_at {
            0 => (self.subscription.to_owned(), self.group.to_owned()),
            1 => (self.subscription.to_owned(), args[0].clone()),
            _ => (args[0].clone(), args[1].clone()),
        };
        let mut types = args[type_at].split('/');
        let namespace = types.next().unwrap_or_default();
        let types: Vec<&str> = types.collect();
        let names = &args[type_at + 1..];
        if names.len() != types.len() {
            return Err(TemplateError(format!(
                "Unable to evaluate template language function 'resourceId': the type '{}' requires {} resource name argument(s).",
                args[type_at],
                types.len()
            )));
        }
        let path: Vec<String> = types
            .iter()
            .zip(names)
            .map(|(t, n)| format!("{t}/{n}"))
            .collect();
        Ok(json!(format!(
            "/subscriptions/{subscription}/resourceGroups/{group}/providers/{namespace}/{}",
            path.join("/")
        )))
    }
}

/// `Microsoft.X/a/b/name1/name2`-style references (type then names) as `resourceId` arguments.
fn split_type_name(target: &str) -> Vec<Value> {
    let parts: Vec<&str> = target.split('/').collect();
    if parts.len() < 3 {
        return vec![json!(target)];
    }
    let types = (parts.len() - 1) / 2;
    let type_name = parts[..=types].join("/");
    let mut args = vec![json!(type_name)];
    args.extend(parts[types + 1..].iter().map(|n| json!(n)));
    args
}

fn member(value: &Value, field: &str) -> Result<Value, TemplateError> {
    value
        .as_object()
        .and_then(|map| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(field))
                .map(|(_, v)| v.clone())
        })
        .ok_or_else(|| {
            TemplateError(format!(
                "The language expression property '{field}' doesn't exist."
            ))
        })
}

/// A value as `concat` joins it.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn invalid(text: &str, why: &str) -> TemplateError {
    TemplateError(format!(
        "The template language expression '{text}' is not valid: {why}."
    ))
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek();
        self.at += 1;
        byte
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), TemplateError> {
        self.skip_space();
        if self.next() == Some(byte) {
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", char::from(byte))))
        }
    }

    fn identifier(&mut self) -> Result<String, TemplateError> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.at += 1;
        }
        if start == self.at {
            return Err(self.error("expected a name"));
        }
        Ok(String::from_utf8_lossy(&self.text[start..self.at]).into_owned())
    }

    fn string(&mut self) -> Result<String, TemplateError> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.next() {
                Some(b'\'') if self.peek() == Some(b'\'') => {
                    self.at += 1;
                    out.push(b'\'');
                }
                Some(b'\'') => return Ok(String::from_utf8_lossy(&out).into_owned()),
                Some(byte) => out.push(byte),
                None => return Err(self.error("a string is not closed")),
            }
        }
    }

    fn number(&mut self) -> Result<Value, TemplateError> {
        let start = self.at;
        self.at += 1;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        let text = String::from_utf8_lossy(&self.text[start..self.at]);
        text.parse::<i64>()
            .map(|n| json!(n))
            .map_err(|_| self.error("expected a number"))
    }

    fn error(&self, why: &str) -> TemplateError {
        invalid(
            &String::from_utf8_lossy(self.text),
            &format!("{why} at character {}", self.at + 1),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_with(parameters: Value, variables: Value, test: impl FnOnce(&Scope<'_>)) {
        let parameters = parameters.as_object().cloned().unwrap_or_default();
        let variables = variables.as_object().cloned().unwrap_or_default();
        let lookup = |id: &str| {
            id.ends_with("/virtualMachines/vm1")
                .then(|| json!({"identity": {"principalId": "p-1"}, "properties": {"vmId": "v-1"}}))
        };
        let scope = Scope {
            parameters: &parameters,
            variables: &variables,
            subscription: "s",
            group: "rg",
            location: "westeurope",
            lookup: &lookup,
        };
        test(&scope);
    }

    #[test]
    fn evaluates_the_functions_az_vm_create_uses() {
        scope_with(
            json!({"adminPassword": "pw"}),
            json!({"nic": "[concat('vm1', 'VMNic')]", "loop": "[variables('loop')]"}),
            |scope| {
                let t = json!({
                    "pw": "[parameters('adminPassword')]",
                    "nic": "[resourceId('Microsoft.Network/networkInterfaces', variables('nic'))]",
                    "subnet": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v', 's')]",
                    "principal": "[reference('Microsoft.Compute/virtualMachines/vm1', '2019-07-01', 'Full').identity.principalId]",
                    "vmId": "[reference(resourceId('Microsoft.Compute/virtualMachines', 'vm1')).vmId]",
                    "location": "[resourceGroup().location]",
                    "literal": "[[not an expression]",
                    "plain": "text",
                    "name": "[concat('a''b', copyIndex())]",
                });
                let out = scope.resolve(&t).unwrap();
                assert_eq!(out["pw"], "pw");
                assert_eq!(
                    out["nic"],
                    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1VMNic"
                );
                assert_eq!(
                    out["subnet"],
                    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
                );
                assert_eq!(out["principal"], "p-1");
                assert_eq!(out["vmId"], "v-1");
                assert_eq!(out["location"], "westeurope");
                assert_eq!(out["literal"], "[not an expression]");
                assert_eq!(out["name"], "a'b0");
                let looped = scope.resolve(&json!("[variables('loop')]")).unwrap_err();
                assert!(looped.0.contains("too deeply"));
            },
        );
    }

    #[test]
    fn refuses_what_arm_refuses() {
        scope_with(json!({}), json!({}), |scope| {
            for (expression, text) in [
                (
                    "[parameters('missing')]",
                    "parameter 'missing' is not found",
                ),
                (
                    "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v')]",
                    "requires 2",
                ),
                ("[concat('a']", "expected `,` or `)`"),
                ("[uniqueString('x')]", "'uniquestring' is not valid"),
                (
                    "[reference('Microsoft.Compute/virtualMachines/none').x]",
                    "not defined",
                ),
            ] {
                let err = scope.resolve(&json!(expression)).unwrap_err();
                assert!(err.0.contains(text), "{expression}: {}", err.0);
            }
        });
    }
}
