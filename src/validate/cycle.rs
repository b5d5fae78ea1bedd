//! Finds cycles in a dependency graph and spells them as paths: `a -> b -> a`.

/// Every elementary cycle reached by depth-first search, each once, as node indices with the
/// first node repeated at the end. `edges[n]` lists what node `n` depends on.
pub fn find_cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; edges.len()];
    let mut cycles = Vec::new();
    for start in 0..edges.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Iterative DFS so that deep chains (10,000 operations) cannot overflow the stack.
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&to) = edges[node].get(*next) {
                *next += 1;
                match marks[to] {
                    Mark::New => {
                        marks[to] = Mark::Active;
                        stack.push((to, 0));
                    }
                    Mark::Active => {
                        let from = stack.iter().position(|&(n, _)| n == to).unwrap_or(0);
                        let mut cycle: Vec<usize> = stack[from..].iter().map(|&(n, _)| n).collect();
                        cycle.push(to);
                        cycles.push(cycle);
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    cycles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_cycle_once() {
        let edges = vec![vec![1], vec![2], vec![0], vec![3], vec![]];
        assert_eq!(find_cycles(&edges), vec![vec![0, 1, 2, 0], vec![3, 3]]);
    }

    #[test]
    fn acyclic_graphs_have_none() {
        let edges = vec![vec![1, 2], vec![2], vec![]];
        assert!(find_cycles(&edges).is_empty());
    }
}
