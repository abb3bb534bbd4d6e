# query a reader would type -> slug of the post that must rank first
GOLDEN: list[tuple[str, str]] = [
    ("ファイルのアクセス権を変更する", "linux-file-permissions"),
    ("chmod 644の意味", "linux-file-permissions"),
    ("Permission deniedが出る", "linux-file-permissions"),
    ("ＡＷＳのＡＩチップ", "aws-trainium2"),
    ("Trainium2", "aws-trainium2"),
    ("AIチップが2.5倍に高速化する", "aws-trainium2"),
    ("H100が手に入らない", "nvidia-h100-gpu-shortage"),
    ("GPU不足はいつ解消する？", "nvidia-h100-gpu-shortage"),
    ("Maia 100", "microsoft-maia-100"),
    ("マイクロソフトのAIチップ", "microsoft-maia-100"),
    ("kubectl get pods", "kubernetes-deploy"),
    ("Kubernetesにアプリをデプロイする方法は？", "kubernetes-deploy"),
    ("Kubernetesでロールバックしたい", "kubernetes-deploy"),
    ("PostgreSQLのインデックスが効かない", "postgresql-index-design"),
    ("複合インデックスの列の順番", "postgresql-index-design"),
    ("PostgreSQLのバックアップを取る方法", "postgresql-backup"),
    ("pg_dumpでリストアする", "postgresql-backup"),
    ("ポイントインタイムリカバリ", "postgresql-backup"),
    ("Pythonで非同期処理を行う", "python-asyncio"),
    ("asyncio.gatherの使い方", "python-asyncio"),
    ("ディスク容量を調べる方法は？", "disk-usage-du-df"),
    ("duとdfの違い", "disk-usage-du-df"),
    ("削除したのにディスクの空きが増えない", "disk-usage-du-df"),
    ("生成AIの著作権", "generative-ai-copyright"),
    ("AIの学習データは著作権侵害になる？", "generative-ai-copyright"),
    ("リモートワークで研究開発", "remote-work-rd"),
    ("R&Dチームをフルリモートで運営する", "remote-work-rd"),
    ("量子コンピュータの仕組み", "quantum-computer-basics"),
    ("量子ビットとは", "quantum-computer-basics"),
    ("ゼロトラストとは", "zero-trust-security"),
    ("VPNをやめてゼロトラストに移行したい", "zero-trust-security"),
    ("PythonをRustで高速化したい", "rust-speedup"),
    ("PyO3とmaturinで拡張モジュールを作る", "rust-speedup"),
    ("サーバ運用の完全ガイド", "server-operations-guide"),
    ("サーバー運用のチェックリスト", "server-operations-guide"),
]

# queries that must find the post somewhere in the top 3 (recall through variants / n-grams)
VARIANTS: list[tuple[str, str]] = [
    ("GPU不足", "nvidia-h100-gpu-shortage"),  # post writes full-width ＧＰＵ不足
    ("２．５倍", "aws-trainium2"),  # post writes half-width 2.5倍
    ("ｋｕｂｅｃｔｌ ｒｏｌｌｏｕｔ", "kubernetes-deploy"),  # full-width ASCII query
    ("量子コンピュータ", "quantum-computer-basics"),  # post writes コンピューター
    ("サーバ運用", "server-operations-guide"),  # post writes サーバー
    ("インターフェースの設計", "rust-speedup"),  # post writes インタフェース
    ("ユーザ認証", "zero-trust-security"),  # post writes ユーザー
    ("所有ユーザーとグループ", "linux-file-permissions"),  # post writes ユーザ
    ("チップレット", "microsoft-maia-100"),  # katakana coinage (チップ+レット)
    ("オンリースキャン", "postgresql-index-design"),  # part of インデックスオンリースキャン
    ("誤り訂正", "quantum-computer-basics"),  # part of 量子誤り訂正
    ("オフサイトスプリント", "remote-work-rd"),  # in-house katakana coinage
]


# precision cases (issue 14): posts the query must not list at all (matched on a
# one-character word or a fragment only)
NOT_LISTED: list[tuple[str, str]] = [
    ("ファイルのアクセス権を変更する", "generative-ai-copyright"),  # 著作権: 権 alone
    ("プロ野球の順位表", "server-operations-guide"),  # 表 alone
]
