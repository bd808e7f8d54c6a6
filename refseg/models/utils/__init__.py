from .tokenizer import TruncationLog, tokenize_expressions

__all__ = ['TruncationLog', 'tokenize_expressions']
