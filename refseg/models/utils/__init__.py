from .tokenizer import tokenize_expressions

__all__ = ['tokenize_expressions']
