from .tokenizer import (EOT_TOKEN, SOT_TOKEN, TruncationLog, decode_tokens,
                        tokenize_expressions)

__all__ = ['EOT_TOKEN', 'SOT_TOKEN', 'TruncationLog', 'decode_tokens', 'tokenize_expressions']
