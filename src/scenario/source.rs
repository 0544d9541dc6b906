//! The files a load read and where in them a key or value came from (`Origin`), for turning
//! byte offsets into `path:line:column`. Shared by the tree and the diagnostics.

/// Index of a file in [`Sources`].
pub type FileId = u16;

/// Where a key or value came from: a file and a byte range in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The file, an index into [`Sources`].
    pub file: FileId,
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

/// One loaded text file.
#[derive(Debug)]
struct SourceFile {
    path: String,
    line_starts: Vec<usize>,
    text_len: usize,
}

/// The files a load read, for turning byte offsets into `path:line:column`.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Registers a file and returns its id.
    pub fn add(&mut self, path: &str, text: &str) -> FileId {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        self.files.push(SourceFile {
            path: path.to_string(),
            line_starts,
            text_len: text.len(),
        });
        FileId::try_from(self.files.len() - 1).unwrap_or(FileId::MAX)
    }

    /// The path a file was registered under.
    pub fn path(&self, file: FileId) -> &str {
        self.files
            .get(usize::from(file))
            .map_or("<input>", |f| f.path.as_str())
    }

    /// 1-based line and column (in bytes) of an origin's start.
    pub fn line_col(&self, o: Origin) -> (usize, usize) {
        let Some(f) = self.files.get(usize::from(o.file)) else {
            return (1, 1);
        };
        let pos = (o.start as usize).min(f.text_len);
        let line = f.line_starts.partition_point(|&s| s <= pos).max(1);
        (line, pos - f.line_starts[line - 1] + 1)
    }
}
