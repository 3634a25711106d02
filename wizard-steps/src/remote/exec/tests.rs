use super::*;

#[test]
fn lines_are_split_across_chunks() {
    let mut buffer = LineBuffer::default();
    assert!(buffer.push(b"par").is_empty());
    assert_eq!(buffer.push(b"tial\r\nnext\nla"), ["partial", "next"]);
    assert_eq!(buffer.finish().as_deref(), Some("la"));
    assert_eq!(buffer.finish(), None);
}
