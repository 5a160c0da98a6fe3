//! Small text helpers shared by the apps and the command line.

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev_diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev_diag + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(cur + 1);
            prev_diag = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("toy story", "toy story"), 0);
        assert_eq!(edit_distance("toy stroy", "toy story"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("vew", "view"), 1);
    }
}
