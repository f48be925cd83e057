// The published judge rubrics evalgate ships, each reproduced from the file and
// commit named in its `upstream` (prompts copied byte for byte from those
// files, placeholders renamed to {question}, {reference}, {prediction}).
// Where upstream turns an unreadable reply into a number (AudioBench: 0.0;
// MM-Vet: 0.0 after its re-asks; VoiceBench: an exception), evalgate keeps the
// upstream re-asks and then fails the sample: never a 0, never a guess.
import type { JudgeRubric } from './judge-rubric.js';

/**
 * AudioBench's open-ended judge (`llama3_70b_as_judge`): a 0–5 rating read from
 * the reply's last token, reported as mean × 20 (0–100). Upstream sends the
 * prompt through Llama-3-70B-Instruct's chat template with `max_tokens=512` and
 * no temperature (the server's default, 1.0 on OpenAI-compatible servers), and
 * scores an unreadable reply 0.0 with `success = 0`; here it is re-asked twice,
 * then failed.
 */
export const audiobenchOpenRubric: JudgeRubric = {
  name: 'audiobench-open',
  description: 'AudioBench open-ended (llama3_70b_as_judge): 0-5 rating from the last token, reported x20 (0-100)',
  version: 'audiobench-open@e991641',
  template:
    "        [Reference Answer]\n        {reference}\n\n        [Model Answer]\n        {prediction}\n\n        [Question]\n        {question}\n\n        [Task]\n        Rate the model's answer based on its alignment with the reference answer, focusing on accuracy and relevance to the reference provided. Please be critical on the details. If the model response is something like 'cannot decide', please rate as 0.\n        Criteria: Assess if the model's response mirrors the reference in terms of content, accuracy, and relevance.\n        Score0: The answer is refusing to give concrete results, providing something like 'cannot decide'.\n        Score0: The answer is completely misaligned, providing incorrect or irrelevant information compared to the reference.\n        Score1: The answer shows minimal alignment, often misunderstanding or providing irrelevant details unrelated to the reference.\n        Score2: The answer recognizes the topic but diverges significantly from the reference in accuracy or relevance.\n        Score3: The answer aligns with the reference generally but lacks detail or precise accuracy in some aspects.\n        Score4: The answer is mostly accurate and relevant, closely following the reference but could be clearer or more detailed.\n        Score5: The answer is highly accurate, detailed, and matches the reference answer perfectly, capturing its essence and detail.\n\n        Your response should be formatted as follows:\n        Explanation: (Provide a concise explanation of your rating, comparing the reference answer with the model's response. \"The reference answer is [XXX], while the model's answer is [YYY]. I think ...\")\n        Rating: (int)",
  needsReference: true,
  referenceStyle: 'plain',
  temperature: 1,
  maxOutputTokens: 512,
  samples: 1,
  parse: 'last-token-number',
  scale: { min: 0, max: 5 },
  multiplier: 20,
  reask: { max: 2 },
  upstream: [
    {
      repo: 'AudioLLMs/AudioBench',
      ref: 'e991641d4beaa7c07913c481af05447619f0e9f5',
      path: 'src/dataset_src/eval_methods/eval_llama3_70b.py',
      symbol: 'llama3_70b_as_judge_one_sample',
    },
  ],
};

/**
 * MM-Vet's GPT-4 grader: the few-shot correctness table, 0.0–1.0 read from the
 * reply's first token, `max_tokens=3`, temperature 0. Upstream re-asks an
 * unreadable reply with "Predict the correctness of the answer (digit): "
 * appended, raising the temperature by 0.5 from the second re-ask on, and
 * after its fifth ask scores 0.0; here the same four re-asks are read (0.0,
 * 0.5, 1.0, 1.5), then the sample fails. Upstream reports the mean × 100;
 * evalgate reports the mean on the 0–1 scale.
 */
export const mmVetRubric: JudgeRubric = {
  name: 'mm-vet',
  description: 'MM-Vet grader (mm-vet_evaluator): few-shot 0.0-1.0 correctness, re-asked up to 4 times',
  version: 'mm-vet@acde843',
  template:
    "Compare the ground truth and prediction from AI models, to give a correctness score for the prediction. <AND> in the ground truth means it is totally right only when all elements in the ground truth are present in the prediction, and <OR> means it is totally right when any one element in the ground truth is present in the prediction. The correctness score is 0.0 (totally wrong), 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, or 1.0 (totally right). Just complete the last space of the correctness score.\n\nQuestion | Ground truth | Prediction | Correctness\n--- | --- | --- | ---\nWhat is x in the equation? | -1 <AND> -5 | x = 3 | 0.0\nWhat is x in the equation? | -1 <AND> -5 | x = -1 | 0.5\nWhat is x in the equation? | -1 <AND> -5 | x = -5 | 0.5\nWhat is x in the equation? | -1 <AND> -5 | x = -5 or 5 | 0.5\nWhat is x in the equation? | -1 <AND> -5 | x = -1 or x = -5 | 1.0\nCan you explain this meme? | This meme is poking fun at the fact that the names of the countries Iceland and Greenland are misleading. Despite its name, Iceland is known for its beautiful green landscapes, while Greenland is mostly covered in ice and snow. The meme is saying that the person has trust issues because the names of these countries do not accurately represent their landscapes. | The meme talks about Iceland and Greenland. It's pointing out that despite their names, Iceland is not very icy and Greenland isn't very green. | 0.4\nCan you explain this meme? | This meme is poking fun at the fact that the names of the countries Iceland and Greenland are misleading. Despite its name, Iceland is known for its beautiful green landscapes, while Greenland is mostly covered in ice and snow. The meme is saying that the person has trust issues because the names of these countries do not accurately represent their landscapes. | The meme is using humor to point out the misleading nature of Iceland's and Greenland's names. Iceland, despite its name, has lush green landscapes while Greenland is mostly covered in ice and snow. The text 'This is why I have trust issues' is a playful way to suggest that these contradictions can lead to distrust or confusion. The humor in this meme is derived from the unexpected contrast between the names of the countries and their actual physical characteristics. | 1.0\n\n{question} | {reference} | {prediction} | ",
  needsReference: true,
  referenceStyle: 'mm-vet',
  temperature: 0,
  maxOutputTokens: 3,
  samples: 1,
  parse: 'first-token-number',
  scale: { min: 0, max: 1 },
  multiplier: 1,
  reask: { max: 4, promptSuffix: '\nPredict the correctness of the answer (digit): ', temperatureStep: 0.5 },
  upstream: [{ repo: 'yuweihao/MM-Vet', ref: 'acde843e02dae30047bb456ee4a8ab28dee7e0ae', path: 'mm-vet_evaluator.py', symbol: 'runs' }],
};

/**
 * VoiceBench's open-ended judge (`meta_prompt_open`, scored by
 * `OpenEvaluator`): 1–5, three samples per answer (`n=3`, temperature 0.5,
 * top_p 0.95, `max_tokens=1024`), the mean of all of them. A reply is read as a
 * number, else as `[[n]]`; upstream raises on anything else, here each
 * unreadable sample is re-asked twice, then the whole answer fails (its other
 * samples are not averaged without it). top_p is not sent: the adapters take no
 * such option.
 */
export const voicebenchOpenRubric: JudgeRubric = {
  name: 'voicebench-open',
  description: 'VoiceBench open QA (api_judge meta_prompt_open): 1-5, n = 3 samples at temperature 0.5, averaged',
  version: 'voicebench-open@5338154',
  template:
    '\nI need your help to evaluate the performance of several models in the speech interaction scenario. The models will receive a speech input from the user, which they need to understand and respond to with a speech output.\nYour task is to rate the model\u2019s responses based on the provided user input transcription [Instruction] and the model\u2019s output transcription [Response].\n\nPlease evaluate the response on a scale of 1 to 5:\n1 point: The response is largely irrelevant, incorrect, or fails to address the user\u2019s query. It may be off-topic or provide incorrect information.\n2 points: The response is somewhat relevant but lacks accuracy or completeness. It may only partially answer the user\u2019s question or include extraneous information.\n3 points: The response is relevant and mostly accurate, but it may lack conciseness or include unnecessary details that don\u2019t contribute to the main point.\n4 points: The response is relevant, accurate, and concise, providing a clear answer to the user\u2019s question without unnecessary elaboration.\n5 points: The response is exceptionally relevant, accurate, and to the point. It directly addresses the user\u2019s query in a highly effective and efficient manner, providing exactly the information needed.\n\nBelow are the transcription of user\u2019s instruction and models\u2019 response:\n### [Instruction]: {question}\n### [Response]: {prediction}\n\nAfter evaluating, please output the score only without anything else.\nYou don\u2019t need to provide any explanations.\n',
  system: "You are a helpful assistant who tries to help answer the user's question.",
  needsReference: false,
  referenceStyle: 'plain',
  temperature: 0.5,
  maxOutputTokens: 1024,
  samples: 3,
  parse: 'number-or-double-bracket',
  scale: { min: 1, max: 5 },
  multiplier: 1,
  reask: { max: 2 },
  upstream: [
    { repo: 'MatthewCYM/VoiceBench', ref: '533815410e3f4d602bd15a1de7105aea4acd828c', path: 'api_judge.py', symbol: 'meta_prompt_open' },
    { repo: 'MatthewCYM/VoiceBench', ref: '533815410e3f4d602bd15a1de7105aea4acd828c', path: 'src/evaluator/open.py', symbol: 'OpenEvaluator' },
  ],
};

/**
 * Big Bench Audio's LLM evaluator (Artificial Analysis): CORRECT or INCORRECT
 * against the official answer; the score is accuracy (0–1). The prompt is the
 * one published in the release post; its "\n\n" after the question, printed
 * literally there, is taken as the two newlines it stands for. The post names
 * no judge model, temperature or re-ask; evalgate asks at temperature 0 and
 * re-asks an unreadable reply twice.
 */
export const bigBenchAudioRubric: JudgeRubric = {
  name: 'big-bench-audio',
  description: 'Big Bench Audio evaluator: CORRECT / INCORRECT against the official answer, reported as accuracy',
  version: 'big-bench-audio@110f248',
  template:
    "Assess whether the following CANDIDATE ANSWER is CORRECT or INCORRECT.\nFor the CANDIDATE ANSWER to be correct, it must be consistent with the OFFICIAL ANSWER.\nIf the CANDIDATE ANSWER contradicts itself, assess the first proposed answer.\nIf the CANDIDATE ANSWER provides a final answer and working, assess the final answer only.\nIf the CANDIDATE ANSWER includes irrelevant information, assess only the relevant information.\nIf the CANDIDATE ANSWER includes a numeric value it is ok if it is spelled e.g. 7 or seven\nIt is ok if the CANDIDATE ANSWER involves a misspelling of a person's name e.g. Leda or Lida, Autry or Audrie.\n  \nThe question, for reference only: START QUESTION {question} \n\nEND QUESTION\n\nThe OFFICIAL ANSWER:{reference}\n\nBEGIN CANDIDATE ANSWER TO ASSESS\n\n{prediction}\n\nEND CANDIDATE ANSWER TO ASSESS\n\nReply only with CORRECT or INCORRECT.",
  needsReference: true,
  referenceStyle: 'plain',
  temperature: 0,
  maxOutputTokens: 16,
  samples: 1,
  parse: 'correct-incorrect',
  scale: { min: 0, max: 1 },
  multiplier: 1,
  reask: { max: 2 },
  upstream: [{ repo: 'huggingface/blog', ref: '110f24815a2143a19dee0d1b4a6f77073845c13c', path: 'big-bench-audio-release.md' }],
};

/** Every preset, by name. */
export const judgeRubrics: Readonly<Record<string, JudgeRubric>> = Object.freeze({
  [audiobenchOpenRubric.name]: audiobenchOpenRubric,
  [mmVetRubric.name]: mmVetRubric,
  [voicebenchOpenRubric.name]: voicebenchOpenRubric,
  [bigBenchAudioRubric.name]: bigBenchAudioRubric,
});

/** Preset names, in listing order. */
export const judgeRubricNames: readonly string[] = Object.keys(judgeRubrics);

/** A preset by name, or undefined. */
export function findJudgeRubric(name: string): JudgeRubric | undefined {
  return Object.hasOwn(judgeRubrics, name) ? judgeRubrics[name] : undefined;
}
