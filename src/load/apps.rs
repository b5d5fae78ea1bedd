//! Decodes `apps:` and `blocks:` of a run-command operation into a [`ScriptSpec`].

use crate::base::source::FileId;
use crate::base::span::Spanned;
use crate::load::decode::{Decoder, Fields};
use crate::load::node::{Node, NodeKind};
use crate::model::variables::Destination;
use crate::ps::spec::{
    AppItem, AppsSpec, Block, DEFAULT_DOWNLOAD_DIR, DEFAULT_THROTTLE, DEFAULT_TIMEOUT_SECS,
    ErrorAction, Install, InstallKind, MAX_TIMEOUT_SECS, ScriptSpec, ToolStep,
};

const APPS_KEYS: &[&str] = &["download_throttle", "download_dir", "items", "items_from"];
const ITEM_KEYS: &[&str] = &[
    "name",
    "url",
    "file",
    "sha256",
    "size",
    "timeout",
    "download_step",
    "install",
];
const INSTALL_KEYS: &[&str] = &["kind", "args", "success_codes", "verify"];
const BLOCK_KEYS: &[&str] = &["name", "parallel", "content", "error_action", "timeout"];

/// config.yaml's tree, where `apps.items_from` finds its list.
#[derive(Clone, Copy)]
pub struct ConfigTree<'a> {
    /// config.yaml's id in the sources.
    pub file: FileId,
    /// Its root node; `None` when it could not be parsed (already reported).
    pub root: Option<&'a Node>,
}

/// The script spec of an operation with `apps:` or `blocks:`; `None` when it has neither.
pub fn decode(
    decoder: &mut Decoder<'_>,
    fields: Fields<'_>,
    config: ConfigTree<'_>,
) -> Option<ScriptSpec> {
    let apps_node = fields.get("apps");
    let blocks_node = fields.get("blocks");
    if apps_node.is_none() && blocks_node.is_none() {
        return None;
    }
    let id = fields.get("id").and_then(Node::as_str).unwrap_or_default();
    let mut spec = ScriptSpec {
        operation_id: id.to_owned(),
        throttle: DEFAULT_THROTTLE,
        apps: None,
        blocks: Vec::new(),
    };
    if let Some(node) = apps_node
        && let Some(apps) = decoder.fields(node, "operation.apps", APPS_KEYS)
    {
        if let Some(throttle) = decoder.opt_number(apps, "download_throttle", "operation.apps") {
            match u32::try_from(throttle.value) {
                Ok(value @ 1..=64) => spec.throttle = value,
                _ => decoder.error(
                    "invalid-throttle",
                    node,
                    "apps.download_throttle must be 1 to 64",
                    "use 3 to 5 concurrent downloads on Azure VMs",
                ),
            }
        }
        let download_dir = decoder
            .opt_string(apps, "download_dir", "operation.apps")
            .map_or_else(|| DEFAULT_DOWNLOAD_DIR.to_owned(), |d| d.value);
        let items = match (apps.get("items"), apps.get("items_from")) {
            (Some(_), Some(from)) => {
                decoder.error(
                    "conflicting-apps-items",
                    from,
                    "apps has both `items` and `items_from`",
                    "keep one: `items_from` takes the list from config.yaml",
                );
                Vec::new()
            }
            (None, Some(from)) => items_from(decoder, from, config),
            (items, None) => items
                .map(|items| decoder.list(items, "apps.items"))
                .unwrap_or_default()
                .iter()
                .filter_map(|item| app_item(decoder, item))
                .collect(),
        };
        spec.apps = Some(AppsSpec {
            download_dir,
            items,
        });
    }
    if let Some(node) = blocks_node {
        spec.blocks = decoder
            .list(node, "operation.blocks")
            .iter()
            .filter_map(|item| block(decoder, item))
            .collect();
    }
    Some(spec)
}

/// The apps items of `items_from: "a.b"`: the list at that config.yaml path, each entry decoded
/// like an `apps.items` entry, with findings pointing into config.yaml.
fn items_from(decoder: &mut Decoder<'_>, from: &Node, config: ConfigTree<'_>) -> Vec<AppItem> {
    let Some(path) = decoder.string(from, "apps.items_from") else {
        return Vec::new();
    };
    let Some(root) = config.root else {
        return Vec::new();
    };
    let found = path
        .value
        .split('.')
        .try_fold(root, |node, key| node.get(key).filter(|n| !n.is_null()));
    let Some(list) = found else {
        decoder.error(
            "unknown-config-path",
            from,
            format!("config.yaml has no `{}`", path.value),
            "name a config.yaml path holding a list of apps, e.g. `golden_image.apps`",
        );
        return Vec::new();
    };
    let mut in_config = Decoder {
        file: config.file,
        diagnostics: &mut *decoder.diagnostics,
    };
    let what = format!("config `{}`", path.value);
    in_config
        .list(list, &what)
        .iter()
        .filter_map(|item| app_item(&mut in_config, item))
        .collect()
}

fn app_item(decoder: &mut Decoder<'_>, node: &Node) -> Option<AppItem> {
    let fields = decoder.fields(node, "an apps item", ITEM_KEYS)?;
    let what = "an apps item";
    let name = decoder.req_string(fields, "name", what)?.value;
    let file = decoder.req_string(fields, "file", what)?.value;
    let size = decoder
        .opt_number(fields, "size", what)
        .and_then(|n| u64::try_from(n.value).ok());
    let timeout_secs = timeout(decoder, fields, what).unwrap_or(DEFAULT_TIMEOUT_SECS);
    let download_step = fields.get("download_step").and_then(|step| {
        let step = decoder.fields(step, "apps item download_step", &["command", "args"])?;
        Some(ToolStep {
            command: decoder.req_string(step, "command", "download_step")?.value,
            args: decoder
                .opt_string(step, "args", "download_step")
                .map(|a| a.value)
                .unwrap_or_default(),
        })
    });
    Some(AppItem {
        url: decoder.opt_string(fields, "url", what).map(|u| u.value),
        sha256: decoder.opt_string(fields, "sha256", what).map(|s| s.value),
        install: fields
            .get("install")
            .and_then(|n| install(decoder, n))
            .unwrap_or(Install {
                kind: InstallKind::None,
                ..Install::default()
            }),
        name,
        file,
        size,
        timeout_secs,
        download_step,
    })
}

fn install(decoder: &mut Decoder<'_>, node: &Node) -> Option<Install> {
    let fields = decoder.fields(node, "install", INSTALL_KEYS)?;
    let mut install = Install::default();
    if let Some(kind) = decoder.opt_string(fields, "kind", "install") {
        install.kind = match kind.value.as_str() {
            "msi" => InstallKind::Msi,
            "exe" => InstallKind::Exe,
            "none" => InstallKind::None,
            other => {
                decoder.error(
                    "unknown-install-kind",
                    fields.get("kind").expect("kind was read"),
                    format!("unknown install kind `{other}`"),
                    "use msi, exe or none",
                );
                return None;
            }
        };
    }
    install.args = decoder
        .opt_string(fields, "args", "install")
        .map(|a| a.value)
        .unwrap_or_default();
    if let Some(codes) = fields.get("success_codes") {
        install.success_codes = decoder
            .list(codes, "install.success_codes")
            .iter()
            .filter_map(|code| decoder.number(code, "a success code"))
            .filter_map(|code| i32::try_from(code.value).ok())
            .collect();
    }
    install.verify = decoder
        .string_list(fields, "verify", "install")
        .into_iter()
        .map(|v| v.value)
        .collect();
    Some(install)
}

fn block(decoder: &mut Decoder<'_>, node: &Node) -> Option<Block> {
    let what = "a block";
    let fields = decoder.fields(node, what, BLOCK_KEYS)?;
    let error_action = decoder.choice(
        fields,
        "error_action",
        "block",
        &[
            ("Continue", ErrorAction::Continue),
            ("Stop", ErrorAction::Stop),
        ],
        ErrorAction::Continue,
    );
    Some(Block {
        name: decoder.req_string(fields, "name", what)?.value,
        parallel: decoder.opt_bool(fields, "parallel", what).unwrap_or(false),
        content: decoder.req_string(fields, "content", what)?.value,
        error_action,
        timeout_secs: timeout(decoder, fields, what).unwrap_or(0),
    })
}

/// `timeout:` in seconds, between 1 and [`MAX_TIMEOUT_SECS`]; a finding otherwise.
fn timeout(decoder: &mut Decoder<'_>, fields: Fields<'_>, what: &str) -> Option<u64> {
    let value = decoder.opt_number(fields, "timeout", what)?;
    match u64::try_from(value.value) {
        Ok(secs) if (1..=MAX_TIMEOUT_SECS).contains(&secs) => Some(secs),
        _ => {
            decoder.error(
                "timeout-out-of-range",
                fields.get("timeout").expect("timeout was read"),
                format!("{what}'s timeout `{}` is out of range", value.value),
                format!("give a number of seconds from 1 to {MAX_TIMEOUT_SECS}"),
            );
            None
        }
    }
}

/// Every text of `apps:` and `blocks:` where `{{VARS}}` are substituted, with its span: app
/// fields are values the generator quotes, block content is PowerShell.
pub fn texts(fields: Fields<'_>) -> Vec<(Spanned<String>, Destination)> {
    let mut out = Vec::new();
    let mut value = |node: Option<&Node>, destination: Destination| {
        for node in node.map(items).unwrap_or_default() {
            if let Some(text) = node.as_str() {
                out.push((Spanned::new(text.to_owned(), node.span), destination));
            }
        }
    };
    if let Some(apps) = fields.get("apps") {
        value(apps.get("download_dir"), Destination::Value);
        for item in apps.get("items").map(items).unwrap_or_default() {
            for key in ["name", "url", "file"] {
                value(item.get(key), Destination::Value);
            }
            let install = item.get("install");
            value(install.and_then(|i| i.get("args")), Destination::Value);
            value(install.and_then(|i| i.get("verify")), Destination::Value);
            let step = item.get("download_step");
            value(step.and_then(|s| s.get("command")), Destination::Value);
            value(step.and_then(|s| s.get("args")), Destination::Value);
        }
    }
    for block in fields.get("blocks").map(items).unwrap_or_default() {
        value(block.get("content"), Destination::PowerShell);
    }
    out
}

/// A list's items, or the node itself when it is not a list.
fn items(node: &Node) -> &[Node] {
    match &node.kind {
        NodeKind::Seq(items) => items,
        _ => std::slice::from_ref(node),
    }
}
