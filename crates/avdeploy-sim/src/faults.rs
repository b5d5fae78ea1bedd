//! Seeded fault injection: rules of the form `MATCH [TRIGGER] => FAULT` that make chosen `az`
//! calls fail the way Azure does (see docs/simulator.md for the syntax).

use crate::error::SimError;
use crate::store::Store;

/// What an injected fault does to the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `AnotherOperationInProgress`, exit 1.
    Busy,
    /// The run-command `Conflict`, exit 1.
    Conflict,
    /// A non-retryable service error, exit 1.
    Error,
    /// A run-command script ends with this code; any other command exits with it.
    Exit(i32),
    /// The call never returns.
    Hang,
    /// The CLI is not logged in (`Please run 'az login'`), exit 1.
    Login,
    /// 429 `SubscriptionRequestsThrottled` with this Retry-After in seconds.
    Throttle(u64),
}

/// Which matching calls a rule fails.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Every matching call.
    Always,
    /// The matching calls with these 1-based numbers.
    Calls(Vec<(u64, u64)>),
    /// Each matching call with this probability, drawn from the seed.
    Probability(f64),
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// The rule as written, which also names its call counter.
    pub text: String,
    /// Tokens that must all appear in the call's arguments, in this order.
    pub pattern: Vec<String>,
    /// Which matching calls fail.
    pub trigger: Trigger,
    /// How they fail.
    pub fault: Fault,
}

impl FaultRule {
    /// Parses rules separated by newlines or `;`, ignoring blanks and `#` comments.
    pub fn parse_all(text: &str) -> Result<Vec<Self>, SimError> {
        text.split(['\n', ';'])
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .filter(|line| !line.is_empty())
            .map(Self::parse)
            .collect()
    }

    /// Parses one rule.
    pub fn parse(rule: &str) -> Result<Self, SimError> {
        let invalid = |reason: &str| SimError::FaultRule {
            rule: rule.to_owned(),
            reason: reason.to_owned(),
        };
        let (lhs, rhs) = rule
            .split_once("=>")
            .ok_or_else(|| invalid("expected `MATCH [TRIGGER] => FAULT`"))?;
        let mut pattern: Vec<String> = lhs.split_whitespace().map(str::to_owned).collect();
        let trigger = match pattern.last().map(|t| parse_trigger(t)) {
            Some(Some(trigger)) => {
                pattern.pop();
                trigger.map_err(|reason| invalid(&reason))?
            }
            _ => Trigger::Always,
        };
        if pattern.is_empty() {
            return Err(invalid("the match is empty"));
        }
        let fault = parse_fault(rhs.trim()).map_err(|reason| invalid(&reason))?;
        Ok(Self {
            text: rule.trim().to_owned(),
            pattern,
            trigger,
            fault,
        })
    }

    /// Whether the call's arguments contain the pattern's tokens in order.
    pub fn matches(&self, argv: &[String]) -> bool {
        let mut rest = argv.iter();
        self.pattern
            .iter()
            .all(|token| rest.any(|arg| arg == token))
    }

    /// Whether the rule fails the `call`-th matching call (1-based) under `seed`.
    pub fn fires(&self, call: u64, seed: u64) -> bool {
        match &self.trigger {
            Trigger::Always => true,
            Trigger::Calls(ranges) => ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&call)),
            Trigger::Probability(p) => draw(seed, &self.text, call) < *p,
        }
    }
}

/// Counts this call against every matching rule and returns the fault of the first that fires.
pub fn decide(
    rules: &[FaultRule],
    argv: &[String],
    store: &mut Store,
    seed: u64,
) -> Result<Option<Fault>, SimError> {
    let mut chosen = None;
    for (index, rule) in rules.iter().enumerate() {
        if !rule.matches(argv) {
            continue;
        }
        let call = store.bump(&format!("fault:{index}:{}", rule.text))?;
        let call = u64::try_from(call).unwrap_or(0);
        if chosen.is_none() && rule.fires(call, seed) {
            chosen = Some(rule.fault);
        }
    }
    Ok(chosen)
}

/// `Some` when `token` is a trigger (`always`, `call=…`, `p=…`), with its parse result.
fn parse_trigger(token: &str) -> Option<Result<Trigger, String>> {
    if token == "always" {
        return Some(Ok(Trigger::Always));
    }
    if let Some(p) = token.strip_prefix("p=") {
        return Some(match p.parse::<f64>() {
            Ok(p) if (0.0..=1.0).contains(&p) => Ok(Trigger::Probability(p)),
            _ => Err(format!("`{token}`: p must be a number from 0 to 1")),
        });
    }
    let calls = token.strip_prefix("call=")?;
    let ranges = calls.split(',').map(|part| {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        match (lo.parse::<u64>(), hi.parse::<u64>()) {
            (Ok(lo), Ok(hi)) if lo >= 1 && lo <= hi => Ok((lo, hi)),
            _ => Err(format!("`{token}`: expected call=N, call=N-M or call=N,M")),
        }
    });
    Some(ranges.collect::<Result<Vec<_>, _>>().map(Trigger::Calls))
}

fn parse_fault(text: &str) -> Result<Fault, String> {
    let mut words = text.split_whitespace();
    let kind = words.next().unwrap_or("");
    let arg = words.next();
    let number = |default: u64| -> Result<u64, String> {
        arg.map_or(Ok(default), |a| {
            a.parse().map_err(|_| format!("`{a}` is not a number"))
        })
    };
    let fault = match kind {
        "busy" => Fault::Busy,
        "conflict" => Fault::Conflict,
        "error" => Fault::Error,
        "exit" => Fault::Exit(
            arg.and_then(|a| a.parse().ok())
                .ok_or_else(|| "`exit` needs a code, e.g. `exit 1`".to_owned())?,
        ),
        "hang" => Fault::Hang,
        "login" => Fault::Login,
        "throttle" => Fault::Throttle(number(10)?),
        _ => {
            return Err(format!(
                "unknown fault `{kind}`: expected throttle [SECONDS], conflict, busy, error, login, exit CODE or hang"
            ));
        }
    };
    Ok(fault)
}

/// A number in [0, 1) determined by the seed, the rule and the call number.
fn draw(seed: u64, rule: &str, call: u64) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in rule.bytes() {
        h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ call.rotate_left(32);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    #[expect(clippy::cast_precision_loss, reason = "53 bits are kept on purpose")]
    let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
    unit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn parses_triggers_and_faults() {
        let rules = FaultRule::parse_all(
            "vm run-command invoke --name vm1 call=2,4-5 => exit 3\n# comment\n; network vnet create p=0.5 => throttle 30; vm create => hang",
        )
        .unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].trigger, Trigger::Calls(vec![(2, 2), (4, 5)]));
        assert_eq!(rules[0].fault, Fault::Exit(3));
        assert_eq!(rules[1].trigger, Trigger::Probability(0.5));
        assert_eq!(rules[1].fault, Fault::Throttle(30));
        assert_eq!(rules[2].trigger, Trigger::Always);
    }

    #[test]
    fn rejects_bad_rules_with_reasons() {
        for bad in [
            "vm create",
            "=> error",
            "vm create => explode",
            "vm create p=2 => error",
            "vm call=0 => error",
        ] {
            let err = FaultRule::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid fault rule"), "{err}");
        }
    }

    #[test]
    fn matches_tokens_in_order() {
        let rule = FaultRule::parse("vm run-command invoke --name vm1 => conflict").unwrap();
        assert!(rule.matches(&argv("vm run-command invoke -g rg --name vm1 --scripts x")));
        assert!(!rule.matches(&argv("vm run-command invoke --name vm2")));
    }

    #[test]
    fn counts_calls_and_draws_deterministically() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let rules = FaultRule::parse_all("group create call=2 => error").unwrap();
        let call = argv("group create -n a -l x");
        let got: Vec<_> = (0..3)
            .map(|_| decide(&rules, &call, &mut store, 0).unwrap())
            .collect();
        assert_eq!(got, [None, Some(Fault::Error), None]);
        let a: Vec<f64> = (1..50).map(|c| draw(7, "r", c)).collect();
        let b: Vec<f64> = (1..50).map(|c| draw(7, "r", c)).collect();
        assert_eq!(a, b);
        assert!(a.iter().all(|x| (0.0..1.0).contains(x)));
        assert_ne!(a, (1..50).map(|c| draw(8, "r", c)).collect::<Vec<_>>());
    }
}
