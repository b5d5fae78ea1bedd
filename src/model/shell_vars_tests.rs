use super::*;

fn names(set: &BTreeSet<String>) -> Vec<&str> {
    set.iter().map(String::as_str).collect()
}

fn unguarded(vars: &ShellVars) -> Vec<&str> {
    vars.reads
        .iter()
        .filter(|r| !r.guarded)
        .map(|r| r.name.as_str())
        .collect()
}

#[test]
fn reads_quoted_and_unquoted_expansions() {
    let script = "echo $A \"${B}\" pre${C}post \"x $D y\"\n";
    let vars = analyze(script);
    assert_eq!(names(&vars.referenced), ["A", "B", "C", "D"]);
    let ranges: Vec<&str> = vars.reads.iter().map(|r| &script[r.range()]).collect();
    assert_eq!(ranges, ["$A", "${B}", "${C}", "$D"]);
}

#[test]
fn lower_case_and_special_parameters_are_not_kept() {
    let vars = analyze("name=x; echo \"$name $1 $? $@ ${#} $Mixed $_\"\n");
    assert!(vars.referenced.is_empty(), "{vars:?}");
    assert!(vars.bound.is_empty());
}

#[test]
fn default_forms_are_guarded_and_others_are_not() {
    let script = "echo ${A:-x} ${B-} ${C:=y} ${D=y} ${E:+z} ${F+z} ${G:?m} ${#H} ${I//a/b} ${J%.*}";
    let vars = analyze(script);
    let guarded: Vec<&str> = vars
        .reads
        .iter()
        .filter(|r| r.guarded)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(guarded, ["A", "B", "C", "D", "E", "F"]);
    assert_eq!(unguarded(&vars), ["G", "H", "I", "J"]);
}

#[test]
fn a_default_may_read_another_variable() {
    let vars = analyze("echo \"${A:-$B}\" \"${C:-${D}}\"");
    assert_eq!(names(&vars.referenced), ["A", "B", "C", "D"]);
    // A default's own reads are not guarded: they happen when the variable is unset.
    assert_eq!(unguarded(&vars), ["B", "D"]);
    assert_eq!(vars.reads.iter().filter(|r| r.guarded).count(), 2);
}

#[test]
fn assignments_declarations_and_loops_bind() {
    let script = "\
A=1
local B=2 C
export D E=3
declare -a F; typeset G; readonly H=4
for I in 1 2; do echo \"$I\"; done
select J in a b; do break; done
K[0]=x
f() { local L; L=$(date); }
";
    let vars = analyze(script);
    assert_eq!(
        names(&vars.bound),
        ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"]
    );
    assert_eq!(names(&vars.referenced), ["I"]);
}

#[test]
fn read_mapfile_printf_and_getopts_bind_their_names() {
    let script = "\
read -r A B <<< \"x y\"
IFS=, read -ra C <<< \"x,y\"
read -p 'prompt: ' -t 5 D
read -d '' E < f
mapfile -t F < f
readarray -n 3 G < f
printf -v H '%s' x
getopts 'ab:' I
";
    let vars = analyze(script);
    assert_eq!(
        names(&vars.bound),
        ["A", "B", "C", "D", "E", "F", "G", "H", "I", "IFS"]
    );
}

#[test]
fn arithmetic_reads_and_sets_bare_names() {
    let script = "\
x=$(( COUNT + 1 ))
(( TOTAL = COUNT * 2 )); (( N++ )); (( M += 3 ))
echo $(( ARR[IDX] + ${WIDTH} ))
for (( i = 0; i < LIMIT; i++ )); do echo STATIC; done
";
    let vars = analyze(script);
    assert_eq!(names(&vars.bound), ["M", "N", "TOTAL"]);
    assert_eq!(
        unguarded(&vars),
        ["COUNT", "COUNT", "ARR", "IDX", "WIDTH", "LIMIT"]
    );
}

#[test]
fn subshells_and_command_substitutions_are_read() {
    let script = "\
id=$(az group show -n \"$GROUP\" --query id -o tsv)
( cd \"$DIR\" && ls )
echo \"`echo $OLD`\" \"$(echo \"$(echo $DEEP)\")\"
";
    let vars = analyze(script);
    assert_eq!(names(&vars.referenced), ["DEEP", "DIR", "GROUP", "OLD"]);
}

#[test]
fn heredocs_expand_unless_their_delimiter_is_quoted() {
    let script = "\
cat <<EOF
name: $NAME and ${OTHER}
EOF
cat <<'EOF'
$LITERAL
EOF
echo '$SINGLE' \"\\$ESCAPED\"
";
    let vars = analyze(script);
    assert_eq!(names(&vars.referenced), ["NAME", "OTHER"]);
}

#[test]
fn printed_outputs_are_found_in_echo_and_printf() {
    let script = "\
echo \"[OUTPUT] VNET_ID=$(az network vnet show --query id -o tsv)\"
echo '[OUTPUT] PLAIN=1'
echo '[OUTPUT] JOINED='\"$x\"
printf '[OUTPUT] FORMATTED=%s\\n' \"$x\"
echo \"[OUTPUT]  SPACED=1\"
echo \"[OUTPUT] ${dynamic}=1\" '[OUTPUT] bad-name=1'
# echo \"[OUTPUT] COMMENTED=1\"
logger \"[OUTPUT] NOT_PRINTED=1\"
";
    let vars = analyze(script);
    assert_eq!(
        names(&vars.outputs),
        ["FORMATTED", "JOINED", "PLAIN", "SPACED", "VNET_ID"]
    );
    let plain = vars.printed.iter().find(|o| o.name == "PLAIN").unwrap();
    assert_eq!(&script[plain.range.clone()], "PLAIN");
    let joined = vars.printed.iter().find(|o| o.name == "JOINED").unwrap();
    assert_eq!(&script[joined.range.clone()], "JOINED");
}

#[test]
fn a_broken_script_still_yields_what_can_be_read() {
    let vars = analyze("echo \"$A\"\nif then fi ((\necho $B\n");
    assert!(vars.referenced.contains("A"), "{vars:?}");
}

#[test]
fn upper_snake_needs_a_letter() {
    assert!(is_upper_snake("AZURE_LOCATION"));
    assert!(is_upper_snake("_PRIVATE"));
    assert!(is_upper_snake("A1"));
    assert!(!is_upper_snake("_"));
    assert!(!is_upper_snake("1A"));
    assert!(!is_upper_snake("Azure"));
    assert!(!is_upper_snake(""));
}

#[test]
fn referenced_and_outputs_are_shortcuts() {
    assert_eq!(names(&referenced("echo $A; B=1")), ["A"]);
    assert_eq!(names(&analyze("echo \"[OUTPUT] X=1\"").outputs), ["X"]);
}

#[test]
fn facts_keep_only_the_reads_the_script_does_not_provide() {
    let (kept, outputs) =
        facts("NAME=x\necho \"$NAME ${OPT:-} $NEEDED\"\necho \"[OUTPUT] DONE=$NAME\"\n");
    let open: Vec<&str> = kept.open_reads.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(open, ["NEEDED"]);
    assert_eq!(&*kept.bound, ["NAME"]);
    assert_eq!(names(&outputs), ["DONE"]);
}

#[test]
fn the_parser_of_a_thread_serves_script_after_script() {
    for index in 0..3 {
        let script = format!("echo \"$FIRST_{index}\"\n");
        let (kept, _) = facts(&script);
        assert_eq!(kept.open_reads[0].name, format!("FIRST_{index}"));
        assert_eq!(
            &script[kept.open_reads[0].range()],
            format!("$FIRST_{index}")
        );
    }
}

#[test]
fn facts_keep_the_first_read_of_each_name_with_how_often_it_is_read() {
    let script = "echo \"$REGION\"\naz group show -n \"$GROUP\" -l \"$REGION\"\necho \"$REGION\"\n";
    let (kept, _) = facts(script);
    let open: Vec<(&str, u32)> = kept
        .open_reads
        .iter()
        .map(|r| (r.name.as_str(), r.times))
        .collect();
    assert_eq!(open, [("REGION", 3), ("GROUP", 1)]);
    assert_eq!(&script[kept.open_reads[0].range()], "$REGION");
    assert_eq!(
        kept.open_reads[0].range().start,
        6,
        "the first read is kept"
    );
}
