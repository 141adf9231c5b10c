//! The analyzers of [`crate::analyze`] as tantivy tokenizers, one per indexed field kind.

use crate::analyze::{self, Term};
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

pub const WORDS: &str = "kefu_words";
pub const GRAMS: &str = "kefu_grams";
pub const DIGITS: &str = "kefu_digits";

#[derive(Clone, Copy)]
enum Mode {
    Words,
    Grams,
    Digits,
}

#[derive(Clone)]
struct KefuTokenizer {
    mode: Mode,
    tokens: Vec<Token>,
}

struct Stream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl TokenStream for Stream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for KefuTokenizer {
    type TokenStream<'a> = Stream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Stream<'a> {
        let terms: Vec<Term> = match self.mode {
            Mode::Words => analyze::word_terms(text),
            Mode::Grams => analyze::gram_terms(text),
            Mode::Digits => analyze::digit_terms(text),
        };
        self.tokens.clear();
        self.tokens
            .extend(terms.into_iter().enumerate().map(|(position, t)| Token {
                offset_from: t.start,
                offset_to: t.end,
                position,
                text: t.text,
                position_length: 1,
            }));
        Stream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

/// Registers kefu's tokenizers with an index.
pub fn register(index: &tantivy::Index) {
    for (name, mode) in [
        (WORDS, Mode::Words),
        (GRAMS, Mode::Grams),
        (DIGITS, Mode::Digits),
    ] {
        index.tokenizers().register(
            name,
            TextAnalyzer::from(KefuTokenizer {
                mode,
                tokens: Vec::new(),
            }),
        );
    }
}
