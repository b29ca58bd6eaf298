import type { Request, Response } from 'express';

export type Lang = 'ja' | 'en';
export const LANG_COOKIE = 'kadai_lang';

/**
 * The page language: `?lang=` (a switch link, remembered in a cookie), else the cookie, else the
 * browser's Accept-Language; Japanese when the browser names neither.
 */
export function chooseLang(req: Request, res: Response): Lang {
  const asked = req.query.lang;
  if (asked === 'ja' || asked === 'en') {
    res.cookie(LANG_COOKIE, asked, { sameSite: 'lax', path: '/', maxAge: 365 * 24 * 3600 * 1000 });
    return asked;
  }
  const cookie = /(?:^|;\s*)kadai_lang=(ja|en)/.exec(req.headers.cookie ?? '')?.[1];
  if (cookie === 'ja' || cookie === 'en') return cookie;
  return req.acceptsLanguages('ja', 'en') === 'en' ? 'en' : 'ja';
}

const MESSAGES = {
  kadai: { ja: 'kadai 課題採点', en: 'kadai lab grading' },
  skip: { ja: '本文へ移動', en: 'Skip to content' },
  signIn: { ja: 'サインイン', en: 'Sign in' },
  signOut: { ja: 'サインアウト', en: 'Sign out' },
  signInToken: { ja: 'アクセストークン', en: 'Access token' },
  signInHelp: {
    ja: '担当教員または管理者から受け取ったトークンを入力してください。LMS から開いた場合は自動でサインインします。',
    en: 'Enter the token your instructor or administrator gave you. Opening kadai from your LMS signs you in automatically.',
  },
  signInFailed: { ja: 'トークンが正しくないか、失効しています。', en: 'The token is wrong, expired or revoked.' },
  courses: { ja: 'コース', en: 'Courses' },
  noCourses: { ja: '登録されているコースはありません。', en: 'You are not enrolled in any course.' },
  labs: { ja: '課題', en: 'Labs' },
  lab: { ja: '課題', en: 'Lab' },
  due: { ja: '締切', en: 'Due' },
  opens: { ja: '公開', en: 'Opens' },
  noDue: { ja: '締切なし', en: 'no due date' },
  attempts: { ja: '試行', en: 'Attempts' },
  score: { ja: '得点', en: 'Score' },
  state: { ja: '状態', en: 'State' },
  late: { ja: '遅延', en: 'Late' },
  instructions: { ja: '説明', en: 'Instructions' },
  submit: { ja: '提出', en: 'Submit' },
  submitWork: { ja: '提出する', en: 'Hand in your work' },
  withdrawn: { ja: 'この課題は取り下げられました。新しい提出は受け付けません（これまでの提出と結果はそのまま残ります）。', en: 'This lab has been withdrawn: it takes no new submissions (earlier submissions and their results stay).' },
  withdrawnMark: { ja: '取り下げ', en: 'withdrawn' },
  files: { ja: 'ファイル', en: 'Files' },
  folder: { ja: 'フォルダー', en: 'A folder' },
  archive: { ja: 'zip / tar.gz アーカイブ', en: 'A zip or tar.gz archive' },
  requiredFiles: { ja: '必要なファイル', en: 'Files to hand in' },
  chooseHow: { ja: 'どれか一つを選んでください。', en: 'Choose one of these.' },
  progress: { ja: '採点の進行状況', en: 'Grading progress' },
  history: { ja: '提出履歴', en: 'Attempt history' },
  noAttempts: { ja: 'まだ提出していません。', en: 'No submissions yet.' },
  submittedAt: { ja: '提出日時', en: 'Submitted' },
  result: { ja: '採点結果', en: 'Result' },
  check: { ja: 'チェック', en: 'Check' },
  points: { ja: '点', en: 'Points' },
  feedback: { ja: 'フィードバック', en: 'Feedback' },
  evidence: { ja: '根拠', en: 'Evidence' },
  notReleased: { ja: '非公開（締切後または教員のみ）', en: 'Not shown (after the due date, or instructors only)' },
  lateFactor: { ja: '遅延による係数', en: 'Late factor' },
  attempt: { ja: '試行', en: 'Attempt' },
  student: { ja: '学生', en: 'Student' },
  matrix: { ja: '成績一覧', en: 'Class results' },
  filter: { ja: '学生で絞り込み', en: 'Filter students' },
  filterState: { ja: '状態で絞り込み', en: 'Filter by state' },
  all: { ja: 'すべて', en: 'all' },
  notSubmitted: { ja: '未提出', en: 'not submitted' },
  csv: { ja: 'CSV をダウンロード（UTF-8 BOM 付き）', en: 'Download CSV (UTF-8 with BOM)' },
  analytics: { ja: '分析', en: 'Analytics' },
  passRate: { ja: 'チェック別の合格率', en: 'Pass rate per check' },
  distribution: { ja: '得点分布', en: 'Score distribution' },
  commonFailures: { ja: '多い失敗メッセージ', en: 'Commonest failure messages' },
  count: { ja: '件数', en: 'Count' },
  students: { ja: '人', en: 'students' },
  regrade: { ja: '再採点', en: 'Regrade' },
  regradeAll: { ja: 'この課題の提出をすべて再採点', en: 'Regrade every submission of this assignment' },
  reason: { ja: '理由', en: 'Reason' },
  audit: { ja: '操作履歴', en: 'Audit trail' },
  settings: { ja: '課題の設定', en: 'Assignment settings' },
  save: { ja: '保存', en: 'Save' },
  saved: { ja: '保存しました。', en: 'Saved.' },
  latePolicy: { ja: '遅延提出', en: 'Late submissions' },
  lateReject: { ja: '受け付けない', en: 'refused' },
  lateAccept: { ja: '減点なしで受け付ける', en: 'accepted without penalty' },
  latePenalty: { ja: '減点して受け付ける', en: 'accepted with a penalty' },
  percentPerDay: { ja: '1 日あたりの減点（%）', en: 'Penalty per day (%)' },
  maxDaysLate: { ja: '受け付ける最大日数', en: 'Accepted up to (days late)' },
  maxAttempts: { ja: '最大試行回数（空欄で無制限）', en: 'Attempt limit (empty: none)' },
  scoring: { ja: '採点方法', en: 'Scoring' },
  best: { ja: '最高点', en: 'best attempt' },
  last: { ja: '最後の提出', en: 'last attempt' },
  visibility: { ja: 'すべてのチェックの公開範囲', en: 'Visibility of every check' },
  checkVisibility: { ja: 'チェックごとの公開範囲', en: 'Visibility per check' },
  asAbove: { ja: '上の設定のまま', en: 'as set above' },
  labDefault: { ja: '課題の既定', en: "the lab's own" },
  visible: { ja: '公開', en: 'visible' },
  hidden: { ja: '教員のみ', en: 'instructors only' },
  afterDue: { ja: '締切後に公開', en: 'after the due date' },
  files_: { ja: '提出されたファイル', en: 'Submitted files' },
  credentialsHidden: { ja: '認証情報のため表示しません（採点が終わると消去されます）', en: 'credentials: not shown (erased when the grading run ends)' },
  submissionOf: { ja: '提出', en: 'Submission' },
  apiReference: { ja: 'API リファレンス', en: 'API reference' },
  language: { ja: 'English', en: '日本語' },
  backToCourse: { ja: 'コースへ戻る', en: 'Back to the course' },
  notFound: { ja: 'ページが見つかりません。', en: 'Page not found.' },
  sortBy: { ja: 'で並べ替え', en: ': sort' },
  chartAlt: { ja: '得点の分布（10 区間）', en: 'Scores in ten bands' },
  answers: { ja: '解答', en: 'Answers' },
  quizHelp: { ja: '各問に答えてから提出してください。', en: 'Answer each question, then hand in.' },
  administration: { ja: '管理', en: 'Administration' },
  courseAdmin: { ja: 'コースの管理', en: 'Course administration' },
  members: { ja: '履修者', en: 'Enrolments' },
  assignments: { ja: '課題一覧', en: 'Assignments' },
  noAssignments: { ja: 'このコースにはまだ課題がありません。', en: 'This course sets no lab yet.' },
  addAssignment: { ja: 'コースに課題を追加', en: 'Set a lab in the course' },
  addAssignmentHelp: { ja: '遅延の扱いと公開範囲は、追加したあと各課題の設定ページで変えられます。空欄は既定値です（締切なし、試行回数の制限なし）。', en: "The late policy and visibility are on each assignment's settings page once it is added. Empty fields take the defaults (no due date, no attempt limit)." },
  everyLabSet: { ja: '利用できる課題はすべてこのコースに設定済みです。', en: 'Every lab in service is set in this course already.' },
  extensions: { ja: '個別の延長', en: 'Extensions' },
  webhooks: { ja: 'Webhook', en: 'Webhooks' },
  instructor: { ja: '教員', en: 'Instructor' },
  login: { ja: 'ログイン名', en: 'Login' },
  name: { ja: '名前', en: 'Name' },
  role: { ja: '役割', en: 'Role' },
  enrol: { ja: '履修登録', en: 'Enrol' },
  unenrol: { ja: '登録解除', en: 'Unenrol' },
  noMembers: { ja: '履修者はいません。', en: 'Nobody is enrolled.' },
  rosterImport: { ja: '名簿の取り込み（CSV）', en: 'Import a roster (CSV)' },
  rosterHelp: {
    ja: '1 行目は login,name,role（role は student か instructor、省略時は student）。誤りのある行が一つでもあれば行番号を示し、何も取り込みません。',
    en: 'The first line is login,name,role (role: student or instructor; student when left out). If any row is wrong, each is named by line and nothing is imported.',
  },
  rosterFile: { ja: 'CSV ファイル', en: 'CSV file' },
  import: { ja: '取り込む', en: 'Import' },
  extraAttempts: { ja: '追加の試行回数', en: 'Extra attempts' },
  grantExtension: { ja: '延長を設定', en: 'Grant an extension' },
  noExtensions: { ja: '延長はありません。', en: 'no extensions.' },
  remove: { ja: '削除', en: 'Remove' },
  register: { ja: '登録', en: 'Register' },
  registerWebhook: { ja: 'Webhook を登録', en: 'Register a webhook' },
  events: { ja: 'イベント', en: 'Events' },
  event: { ja: 'イベント', en: 'Event' },
  deliveries: { ja: '配信履歴', en: 'Deliveries' },
  noDeliveries: { ja: '配信はまだありません。', en: 'No deliveries yet.' },
  noWebhooks: { ja: 'Webhook は登録されていません。', en: 'No webhooks are registered.' },
  redeliver: { ja: '再配信', en: 'Redeliver' },
  disabled: { ja: '停止中', en: 'disabled' },
  lastAnswer: { ja: '最後の応答', en: 'Last answer' },
  created: { ja: '作成', en: 'Created' },
  title: { ja: '名称', en: 'Title' },
  rename: { ja: '名称を変更', en: 'Rename' },
  createCourse: { ja: 'コースを作成', en: 'Create the course' },
  users: { ja: 'ユーザー', en: 'Users' },
  createUser: { ja: 'ユーザーを作成', en: 'Create the user' },
  tokens: { ja: 'アクセストークン', en: 'Access tokens' },
  label: { ja: 'ラベル', en: 'Label' },
  expires: { ja: '有効期限', en: 'Expires' },
  revoked: { ja: '失効日時', en: 'Revoked' },
  revoke: { ja: '失効', en: 'Revoke' },
  rotate: { ja: '再発行', en: 'Rotate' },
  issueToken: { ja: 'トークンを発行', en: 'Issue a token' },
  shownOnce: { ja: 'この値は今だけ表示されます。今すぐ控えてください:', en: 'Shown only now; copy it:' },
} as const;

export type MessageKey = keyof typeof MESSAGES;
export type T = (key: MessageKey) => string;

export function translator(lang: Lang): T {
  return (key) => MESSAGES[key][lang];
}

export function formatDate(date: Date | null, lang: Lang): string {
  if (!date) return '';
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Tokyo' }).format(date);
}
