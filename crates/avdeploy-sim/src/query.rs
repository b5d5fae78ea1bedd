//! `--query`: JMESPath evaluated like the CLI does, remembering the key order of multiselect
//! hashes (`{name:name, id:id}`) because tsv and table output keep it.

use jmespath::ast::Ast;
use serde_json::Value;

use crate::failure::AzFailure;

/// A compiled `--query` expression.
pub struct Query {
    expression: jmespath::Expression<'static>,
    key_orders: Vec<Vec<String>>,
}

impl Query {
    /// Compiles `text`; an invalid expression is a usage error, as in the CLI.
    pub fn compile(text: &str) -> Result<Self, AzFailure> {
        let expression = jmespath::compile(text).map_err(|_| {
            AzFailure::usage(&format!(
                "argument --query: invalid jmespath_type value: '{text}'"
            ))
        })?;
        let mut key_orders = Vec::new();
        collect_hashes(expression.as_ast(), &mut key_orders);
        Ok(Self {
            expression,
            key_orders,
        })
    }

    /// Evaluates the expression against a command's result.
    pub fn apply(&self, value: &Value) -> Result<Value, AzFailure> {
        let result = self
            .expression
            .search(value)
            .map_err(|e| AzFailure::usage(&format!("argument --query: {e}")))?;
        serde_json::to_value(&*result)
            .map_err(|e| AzFailure::usage(&format!("argument --query: {e}")))
    }

    /// The key lists of the multiselect hashes in the expression.
    pub fn key_orders(&self) -> &[Vec<String>] {
        &self.key_orders
    }
}

/// The order in which an object's keys are printed by tsv and table: the order of a multiselect
/// hash with exactly these keys, else sorted.
pub fn ordered_keys<'a>(
    map: &'a serde_json::Map<String, Value>,
    key_orders: &[Vec<String>],
) -> Vec<&'a String> {
    let found = key_orders
        .iter()
        .find(|order| order.len() == map.len() && order.iter().all(|key| map.contains_key(key)));
    match found {
        Some(order) => order
            .iter()
            .filter_map(|key| map.get_key_value(key).map(|(k, _)| k))
            .collect(),
        None => map.keys().collect(),
    }
}

fn collect_hashes(ast: &Ast, out: &mut Vec<Vec<String>>) {
    match ast {
        Ast::MultiHash { elements, .. } => {
            out.push(elements.iter().map(|kv| kv.key.clone()).collect());
            for kv in elements {
                collect_hashes(&kv.value, out);
            }
        }
        Ast::Comparison { lhs, rhs, .. }
        | Ast::Projection { lhs, rhs, .. }
        | Ast::And { lhs, rhs, .. }
        | Ast::Or { lhs, rhs, .. }
        | Ast::Subexpr { lhs, rhs, .. } => {
            collect_hashes(lhs, out);
            collect_hashes(rhs, out);
        }
        Ast::Condition {
            predicate, then, ..
        } => {
            collect_hashes(predicate, out);
            collect_hashes(then, out);
        }
        Ast::Expref { ast, .. } => collect_hashes(ast, out),
        Ast::Flatten { node, .. } | Ast::Not { node, .. } | Ast::ObjectValues { node, .. } => {
            collect_hashes(node, out);
        }
        Ast::Function { args, .. } => args.iter().for_each(|a| collect_hashes(a, out)),
        Ast::MultiList { elements, .. } => elements.iter().for_each(|a| collect_hashes(a, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evaluates_and_remembers_hash_order() {
        let q = Query::compile("[?location=='eastus'].{name:name, id:id}").unwrap();
        let v = json!([{"name": "a", "id": "1", "location": "eastus"}, {"name": "b", "id": "2", "location": "west"}]);
        assert_eq!(q.apply(&v).unwrap(), json!([{"name": "a", "id": "1"}]));
        assert_eq!(q.key_orders(), [vec!["name".to_owned(), "id".to_owned()]]);
        let row = json!({"id": "1", "name": "a"});
        let keys = ordered_keys(row.as_object().unwrap(), q.key_orders());
        assert_eq!(keys, ["name", "id"]);
    }

    #[test]
    fn invalid_expression_is_a_usage_error() {
        let err = Query::compile("[?").err().unwrap();
        assert_eq!(err.exit, 2);
        assert!(err.stderr.contains("invalid jmespath_type value"));
    }
}
