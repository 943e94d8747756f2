# Shared helpers for the scripts in jlink/, rootfs/ and qemu/. Source it; do not run it.
#
# Everything downloaded goes under $JINIT_CACHE (default: <repo>/.cache, which git ignores):
#   $JINIT_CACHE/trixie/apt/         private apt state (lists, etc/sources.list); never the host's
#   $JINIT_CACHE/trixie/debs/<arch>/ downloaded .deb files
#   $JINIT_CACHE/trixie/src/<pkg>/   downloaded source packages (.dsc and its tarballs)
#   $JINIT_CACHE/trixie/<arch>/...   extracted trees (JDK, sysroot, kernel)

JINIT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JINIT_CACHE="${JINIT_CACHE:-$JINIT_ROOT/.cache}"
# One fixed timestamp for every file in every archive we write, so that the same inputs give the same bytes.
# The default is the date in the root pom's project.build.outputTimestamp, which Maven uses for the jars.
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1767225600}"
export SOURCE_DATE_EPOCH
# Kernel parameters for a fast boot, on every command line we write (qemu/boot's, disk.img's boot entry).
# cryptomgr.notests and the two initcalls: boot-time work that an init with no kernel crypto users does not
# need, and the largest items of initcall_debug under TCG: the crypto self-tests (1.1 s), the jitter entropy
# DRBG source (0.2 s; the kernel's own RNG seeds without it) and loading the built-in X.509 certificates
# (0.35 s). Without those certificates the kernel cannot verify module signatures: disk.img's early initrd
# still loads its modules (Debian's kernels do not enforce signatures: no module.sig_enforce, and no lockdown
# without Secure Boot), and each such load taints the kernel (E, "unsigned module"). Under Secure Boot with
# lockdown, drop load_system_certificate_list. Kernel start to init: 3.33 -> 1.87 s (x86_64, icount, same
# initramfs). Boards: put them on the bootloader's command line too.
JINIT_FAST_BOOT="cryptomgr.notests initcall_blacklist=jent_mod_init,load_system_certificate_list"

log() { printf '%s: %s\n' "${LOG_TAG:-$(basename "$0")}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${LOG_TAG:-$(basename "$0")}" "$*" >&2; exit 1; }
need() { # need TOOL PACKAGE: fail early with the fix when a host tool is missing
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found; run jlink/install-host-deps (or apt-get install $2)"
}

# Architecture names: Debian's (amd64, arm64) and the kernel's / GNU's (x86_64, aarch64).
deb_arch() {
  case "$1" in
    host) deb_arch "$(uname -m)" ;;
    x86_64 | amd64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "unknown architecture '$1' (use x86_64 or aarch64)" ;;
  esac
}
gnu_arch() {
  case "$(deb_arch "$1")" in
    amd64) echo x86_64 ;;
    arm64) echo aarch64 ;;
  esac
}

# The Debian mirror this machine already uses, so that the fetches go where the host's apt goes.
debian_mirror() {
  if [ -n "${JINIT_DEBIAN_MIRROR:-}" ]; then echo "$JINIT_DEBIAN_MIRROR"; return; fi
  local m
  m="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^URIs:/ {u=$2} /^Suites:/ && u ~ /\/debian\/?$/ {print u; exit}')"
  [ -n "$m" ] || m="$(grep -hsE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) {print $i; exit}}' | head -n1)"
  [ -n "$m" ] || die "cannot find the Debian mirror in /etc/apt; set JINIT_DEBIAN_MIRROR to its URL"
  echo "${m%/}"
}

# apt-get / apt-cache with a private configuration for Debian trixie (amd64 and arm64).
# Dir::State::status=/dev/null makes apt see an empty system, so it never consults or touches the host's packages.
TRIXIE_APT_DIR="$JINIT_CACHE/trixie/apt"
trixie_apt_opts() {
  printf '%s\n' \
    -o "Dir::Etc::SourceList=$TRIXIE_APT_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o "Dir::State::Lists=$TRIXIE_APT_DIR/lists" -o "Dir::Cache=$TRIXIE_APT_DIR/cache" \
    -o Dir::State::status=/dev/null -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
    -o APT::Architectures=amd64,arm64 -o APT::Sandbox::User=root -o Acquire::Retries=3
}
trixie_apt() { # trixie_apt apt-get|apt-cache ARGS...
  local tool="$1"; shift
  local -a opts; mapfile -t opts < <(trixie_apt_opts)
  "$tool" "${opts[@]}" "$@"
}
# Refresh the package lists when missing or older than a day (JINIT_APT_REFRESH=1 forces it).
trixie_update() {
  need apt-get apt
  [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] \
    || die "/usr/share/keyrings/debian-archive-keyring.gpg missing; apt-get install debian-archive-keyring"
  mkdir -p "$TRIXIE_APT_DIR/lists/partial" "$TRIXIE_APT_DIR/cache/archives/partial"
  # deb-src: trixie's source packages too (trixie_source), for what the image builds itself (rootfs/build-curl).
  local mirror src key="signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
  mirror="$(debian_mirror)"
  src="$(printf '%s\n' "deb [arch=amd64,arm64 $key] $mirror trixie main" "deb-src [$key] $mirror trixie main")"
  if [ "$(cat "$TRIXIE_APT_DIR/sources.list" 2>/dev/null)" != "$src" ]; then
    echo "$src" > "$TRIXIE_APT_DIR/sources.list"
    rm -f "$TRIXIE_APT_DIR/updated"
  fi
  if [ "${JINIT_APT_REFRESH:-0}" = 1 ] || [ -z "$(find "$TRIXIE_APT_DIR/updated" -mmin -1440 2>/dev/null)" ]; then
    log "apt-get update (private trixie lists in $TRIXIE_APT_DIR)"
    rm -rf "$TRIXIE_APT_DIR/memo"
    trixie_apt apt-get -q update >&2 || die "apt-get update for trixie failed; is the Debian mirror reachable?"
    touch "$TRIXIE_APT_DIR/updated"
  fi
}
# trixie_query apt-cache ARGS...: trixie_apt, with the answer remembered until the next apt-get update. Each
# apt-cache call reads all the package lists again (about 1.5 s), and a build with nothing to do asks the
# same questions as the last one. A failed query is answered, not remembered.
trixie_query() {
  local memo
  memo="$TRIXIE_APT_DIR/memo/$(printf '%s\n' "$@" | sha256sum | cut -c1-32)"
  if [ ! -f "$memo" ]; then
    mkdir -p "${memo%/*}"
    if ! trixie_apt "$@" > "$memo.tmp"; then cat "$memo.tmp"; rm -f "$memo.tmp"; return 1; fi
    mv "$memo.tmp" "$memo"
  fi
  cat "$memo"
}

# trixie_download ARCH PKG...: downloads the current trixie version of each package (for Debian arch ARCH)
# into $JINIT_CACHE/trixie/debs/ARCH, reusing files already there, and prints the .deb paths, one a line.
trixie_download() {
  local arch; arch="$(deb_arch "$1")"; shift
  local dir="$JINIT_CACHE/trixie/debs/$arch" pkg name file version debarch
  local -a files=() missing=() aptnames=() wanted=()
  local -A rec=()
  mkdir -p "$dir"
  trixie_update
  for pkg in "$@"; do
    case "$pkg" in *:*) ;; *) pkg="$pkg:$arch" ;; esac
    wanted+=("$pkg")
  done
  # One apt-cache call for all of them: each call re-reads the package lists (about 1.5 s), and a call per
  # package made a build that had nothing to do take a minute. One line per package: name version arch file.
  while read -r name version debarch file; do
    rec[$name]="$version $debarch $file"
  done < <(trixie_query apt-cache show --no-all-versions "${wanted[@]}" 2>/dev/null \
             | awk '/^Package: / {p=$2} /^Version: / {v=$2} /^Architecture: / {a=$2} /^Filename: / {f=$2}
                    /^$/ {if (p != "") print p, v, a, f; p=""} END {if (p != "") print p, v, a, f}')
  for pkg in "${wanted[@]}"; do
    [ -n "${rec[${pkg%%:*}]:-}" ] || die "package $pkg is not in trixie"
    read -r version debarch file <<< "${rec[${pkg%%:*}]}"
    file="$dir/${file##*/}"
    files+=("$file")
    if [ ! -s "$file" ]; then
      missing+=("$pkg")
      # apt-get download writes NAME_VERSION_ARCH.deb with the epoch's colon as %3a; the pool name has no epoch.
      aptnames+=("${pkg%%:*}_${version//:/%3a}_$debarch.deb")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "downloading ${missing[*]}"
    rm -rf "$dir/.partial" && mkdir "$dir/.partial"
    (cd "$dir/.partial" && trixie_apt apt-get -q download "${missing[@]}" >&2) || die "apt-get download failed"
    local i
    for i in "${!missing[@]}"; do
      [ -s "$dir/.partial/${aptnames[$i]}" ] || die "apt-get download left no ${aptnames[$i]}"
    done
    for file in "${files[@]}"; do
      local base; base="$(basename "$file")"
      for i in "${!aptnames[@]}"; do
        case "${aptnames[$i]}" in "${base%%_*}"_*) [ -s "$file" ] || mv "$dir/.partial/${aptnames[$i]}" "$file" ;; esac
      done
    done
    rm -rf "$dir/.partial"
  fi
  printf '%s\n' "${files[@]}"
}

# trixie_source PKG: downloads trixie's source package PKG (.dsc, orig and debian tarballs; apt checks each file
# against the signed Sources index) into $JINIT_CACHE/trixie/src/PKG/, reusing a complete earlier download, and
# prints the .dsc's path. The newest version in the index comes first; a version whose files the mirror answers
# 404 for is skipped, with a warning, for the next older one (remembered until the next apt-get update, which
# tries it again). That happens: in December 2026 the Sources index listed curl 8.14.1-2+deb13u7 (the version
# of trixie's curl binaries), but the mirror answered 404 for its .dsc and debian tarball, and served +deb13u5's.
trixie_source() {
  local pkg="$1" dir="$JINIT_CACHE/trixie/src/$1" v dsc i j
  local -a vs
  trixie_update
  mapfile -t vs < <(trixie_query apt-cache showsrc --only-source "$pkg" | sed -n 's/^Version: //p' | sort -u)
  [ ${#vs[@]} -gt 0 ] || die "source package $pkg is not in trixie"
  for ((i = 1; i < ${#vs[@]}; i++)); do # newest first, in dpkg's order (sort -V gets ~ wrong)
    for ((j = i; j > 0; j--)); do
      dpkg --compare-versions "${vs[j]}" gt "${vs[j - 1]}" || break
      v="${vs[j]}"; vs[j]="${vs[j - 1]}"; vs[j - 1]="$v"
    done
  done
  mkdir -p "$dir" "$TRIXIE_APT_DIR/memo"
  for v in "${vs[@]}"; do
    dsc="$dir/${pkg}_${v#*:}.dsc"
    [ -f "$TRIXIE_APT_DIR/memo/unserved-${pkg}_$v" ] && continue
    if [ ! -f "$dsc.complete" ]; then
      log "downloading the source package $pkg $v"
      if ! (cd "$dir" && trixie_apt apt-get -q source --only-source --download-only "$pkg=$v" 2>&1) > "$dir/apt.log" \
         || [ ! -s "$dsc" ]; then
        cat "$dir/apt.log" >&2
        # Only a file the mirror answers 404 for means "not served"; any other failure stops the build.
        grep -q ' 404 ' "$dir/apt.log" || die "apt-get source $pkg=$v failed (see above)"
        log "warning: the mirror does not serve the source of $pkg $v"
        touch "$TRIXIE_APT_DIR/memo/unserved-${pkg}_$v"
        continue
      fi
      touch "$dsc.complete"; rm -f "$dir/apt.log"
    fi
    [ "$v" = "${vs[0]}" ] \
      || log "warning: using the source of $pkg $v, not trixie's newest (${vs[0]}), which the mirror does not serve"
    echo "$dsc"
    return 0
  done
  die "no version of the source package $pkg could be downloaded"
}

# trixie_closure ARCH PKG...: the packages these depend on (recursively, no recommends), including themselves.
trixie_closure() {
  local arch; arch="$(deb_arch "$1")"; shift
  trixie_update
  local -a pkgs=("${@/%/:$arch}")
  # apt-cache names packages of the native architecture without a suffix and the others as NAME:ARCH.
  local keep="s/:$arch\$//p"
  [ "$arch" = "$(dpkg --print-architecture)" ] && keep='/:/!p'
  trixie_query apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "${pkgs[@]}" \
    | grep -v '^[ <]' | sed -n "$keep" | sort -u
}

# trixie_kernel ARCH: the kernel package an image for ARCH gets: what linux-image-cloud-amd64 (a bzImage with
# virtio and serial built in) or linux-image-arm64 depends on now, e.g. linux-image-6.12.57+deb13-cloud-amd64.
trixie_kernel() {
  local darch meta pkg
  darch="$(deb_arch "$1")"
  case "$darch" in amd64) meta=linux-image-cloud-amd64 ;; arm64) meta=linux-image-arm64 ;; esac
  trixie_update
  pkg="$(trixie_query apt-cache show --no-all-versions "$meta:$darch" \
         | sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -n1)"
  [ -n "$pkg" ] || die "cannot find the kernel package that $meta depends on"
  echo "$pkg"
}

# Rewrite absolute symlinks inside an extracted tree so that they point inside the tree (dpkg -x keeps them absolute).
relink_absolute() {
  local root="$1" link target
  find "$root" -type l -print0 | while IFS= read -r -d '' link; do
    target="$(readlink "$link")"
    case "$target" in
      /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$root$target")" "$link" ;;
    esac
  done
}

is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# patch_for_sysroot TREE SYSROOT: make the ELF files of TREE (a trixie JDK or an image linked from one) run on
# this older host: executables get SYSROOT's ld.so as interpreter, and every object gets SYSROOT's library
# folder on its RUNPATH, after its own $ORIGIN entries, so that the JDK's own libraries still come first.
patch_for_sysroot() {
  local tree="$1" sysroot="$2" libdir interp f rp
  need patchelf patchelf
  libdir="$(echo "$sysroot"/usr/lib/*-linux-gnu)"
  interp="$(ls "$libdir"/ld-linux*.so.* | head -n1)"
  find "$tree" -type f \( -name '*.so' -o -perm -u+x \) ! -name '*.jmod' -print0 | while IFS= read -r -d '' f; do
    is_elf "$f" || continue
    rp="$(patchelf --print-rpath "$f")"
    case ":$rp:" in *":$libdir:"*) continue ;; esac
    patchelf --set-rpath "${rp:+$rp:}$libdir" "$f"
    if patchelf --print-interpreter "$f" >/dev/null 2>&1; then patchelf --set-interpreter "$interp" "$f"; fi
  done
  # The sysroot's own libraries (libstdc++ needs libm and libgcc_s) must find each other, not the host's.
  for f in "$libdir"/libstdc++.so.6.* "$libdir"/libgcc_s.so.1 "$libdir"/libz.so.1.*; do
    patchelf --set-rpath "$libdir" "$f"
  done
}

# ---- Input stamps: a build step reruns when its inputs changed, and only then -----------------------------
# A step describes its inputs as a manifest: one line "SHA256  PATH" for each input file (PATH relative to the
# repository), and one line "param  NAME=VALUE" for each parameter (the architecture, a package version...).
# The manifest taken when a build starts is written next to its outputs, as the stamp, only once that build
# has succeeded; the next run compares its own manifest with the stamp. Only content counts: touching a file
# changes nothing, and what is not listed (target/, .cache/, docs, tests, README) is never an input.

# manifest_files PATH...: the manifest lines of every file under each PATH (a file or a folder; run it from the
# folder the PATHs are relative to). Regular files by content; a symlink by where it points. A missing PATH is
# an error, so that a misspelt input cannot silently drop out of the stamp.
manifest_files() {
  local p
  for p in "$@"; do [ -e "$p" ] || [ -L "$p" ] || die "input $p does not exist (in $PWD)"; done
  find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
  find "$@" -type l -printf 'link:%l  %p\n' | LC_ALL=C sort -k2
}

# stamp_current STAMP NEW: true when the stamp STAMP holds exactly the manifest in the file NEW. Otherwise it
# says why the step must run (no stamp yet, or which inputs changed) and returns false.
stamp_current() {
  local stamp="$1" new="$2" n
  if [ ! -f "$stamp" ]; then
    log "no stamp of a previous build (${stamp#"$JINIT_ROOT"/}): building"
    return 1
  fi
  cmp -s "$stamp" "$new" && return 0
  local -a changed
  # A line that differs names its file (or parameter) on either side; one edited file appears once.
  mapfile -t changed < <(diff "$stamp" "$new" | sed -n 's/^[<>] [^ ]*  //p' | LC_ALL=C sort -u)
  n=${#changed[@]}
  if [ "$n" -gt 6 ]; then
    log "inputs changed: ${changed[*]:0:6} and $((n - 6)) more"
  else
    log "inputs changed: ${changed[*]}"
  fi
  return 1
}

# outputs_state PATH...: the size and change time of every file under each PATH (ctime: no copy or touch can
# set it back). A build records it next to its stamp; an output changed by hand since then makes it stale.
outputs_state() { find "$@" -printf '%p %s %C@\n' 2>/dev/null | LC_ALL=C sort || true; }

# up_to_date STAMP NEW OUTPUT...: true when the OUTPUTs are as the last build left them (recorded in the
# stamp's sibling *.outputs) and STAMP holds exactly the manifest NEW. Otherwise says why, returns false.
up_to_date() {
  local stamp="$1" new="$2"; shift 2
  if [ -f "$stamp" ] && [ "$(outputs_state "$@")" != "$(cat "${stamp%inputs}outputs" 2>/dev/null)" ]; then
    log "outputs missing, or changed since they were built: building"
    return 1
  fi
  stamp_current "$stamp" "$new"
}
# record_build STAMP NEW OUTPUT...: after a successful build, NEW becomes the stamp, and the outputs' state is
# recorded beside it.
record_build() {
  local stamp="$1" new="$2"; shift 2
  outputs_state "$@" > "${stamp%inputs}outputs"
  mv "$new" "$stamp"
}

# jdk_version JAVA_HOME: the exact build of a JDK (from its release file), as a stamp parameter.
jdk_version() {
  sed -n 's/^IMPLEMENTOR="\(.*\)"/\1/p; s/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p' "$1/release" \
    | tr '\n' ' ' | sed 's/ $//'
}

# modules_manifest: the inputs of what the Maven build leaves in jlink/target/mods and jlink/target/native,
# from which every image is linked: the poms, the modules' main sources and resources (Java, module-info, the
# C helper), jlink's module descriptors for the third-party jars, the Maven wrapper, and the JDK that compiles.
# Tests (src/test) are not inputs: they never reach an image.
modules_manifest() {
  local jdk
  jdk="$("$JINIT_ROOT/jlink/find-jdk25")" || die "no JDK 25 (see jlink/find-jdk25)"
  printf 'param  javac=%s\n' "$(jdk_version "$jdk")"
  (cd "$JINIT_ROOT" \
     && manifest_files mvnw pom.xml jlink/pom.xml jlink/module-info modules/*/pom.xml modules/*/src/main)
}
