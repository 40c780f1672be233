/**
 * The Hugging Face `tokenizer.json` / `tokenizer_config.json` of the GloVe models: a WordLevel model over
 * the vocabulary, a `Lowercase` normalizer and a `Split` pre-tokenizer that keeps the runs of letters and
 * digits (analyzer.ts), and BERT's template `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` with type ids 0 / 1.
 *
 * How the two runtimes read it:
 * - transformers.js 4.3 (`@huggingface/tokenizers` 0.2) has no WordLevel class: a model with a `vocab`
 *   object, an `unk_token` and no `continuing_subword_prefix` becomes its "Legacy" model, which maps each
 *   pre-token through the vocabulary and unknown ones to the id of `unk_token` from tokenizer_config.json
 *   (which is therefore set). `Split` with `invert: true` returns the pattern's matches.
 * - Python `tokenizers`: `Split(pattern, behavior="removed", invert=True)` likewise keeps the matches
 *   (the inverted pattern's matches, i.e. everything else, are removed); WordLevel reads `unk_token`.
 * Special tokens are added tokens with `normalized: false`, so a literal `[SEP]` in a text becomes that
 * token in both (model-data.ts `analyzeWithSpecials` mirrors it).
 */
import { TOKEN_PATTERN_SOURCE } from './analyzer.js';
import { CLS_ID, type GloveModelData, PAD_ID, SEP_ID, SPECIAL_TOKENS, UNK_ID } from './model-data.js';

export function tokenizerJson(data: GloveModelData): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  data.vocab.forEach((w, i) => {
    vocab[w] = i;
  });
  const special = (id: number, typeId: number) => ({ SpecialToken: { id: SPECIAL_TOKENS[id], type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Split', pattern: { Regex: TOKEN_PATTERN_SOURCE }, behavior: 'Removed', invert: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(CLS_ID, 0), { Sequence: { id: 'A', type_id: 0 } }, special(SEP_ID, 0)],
      pair: [special(CLS_ID, 0), { Sequence: { id: 'A', type_id: 0 } }, special(SEP_ID, 0), { Sequence: { id: 'B', type_id: 1 } }, special(SEP_ID, 1)],
      special_tokens: Object.fromEntries(
        [CLS_ID, SEP_ID].map((id) => [SPECIAL_TOKENS[id], { id: SPECIAL_TOKENS[id], ids: [id], tokens: [SPECIAL_TOKENS[id]] }]),
      ),
    },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: SPECIAL_TOKENS[UNK_ID] },
  };
}

export function tokenizerConfigJson(data: GloveModelData): Record<string, unknown> {
  return {
    tokenizer_class: 'BertTokenizer',
    model_max_length: data.recipe.maxLength,
    padding_side: 'right',
    pad_token: SPECIAL_TOKENS[PAD_ID],
    unk_token: SPECIAL_TOKENS[UNK_ID],
    cls_token: SPECIAL_TOKENS[CLS_ID],
    sep_token: SPECIAL_TOKENS[SEP_ID],
    clean_up_tokenization_spaces: false,
  };
}
