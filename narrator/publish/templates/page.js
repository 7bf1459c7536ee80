// narrator listening page: chapters that seek, a transcript that follows playback.
// Plain script, no dependencies; everything it needs is in the page's markup.
(function () {
  "use strict";

  var players = [];

  // Index of the last item whose start is <= t (items sorted by start), or -1.
  function lastStarted(items, t) {
    var lo = 0, hi = items.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (items[mid].start <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  function setup(episode) {
    var audio = episode.querySelector("audio");
    if (!audio) { return; }
    var now = episode.querySelector(".now");
    var box = episode.querySelector(".cues");
    var follow = episode.querySelector(".follow");
    var chapters = Array.prototype.map.call(
      episode.querySelectorAll(".chapters button[data-start]"),
      function (el) {
        return { el: el, start: parseFloat(el.dataset.start), title: el.dataset.title || "" };
      }
    );
    var cues = Array.prototype.map.call(
      episode.querySelectorAll(".cues [data-start]"),
      function (el) {
        return { el: el, start: parseFloat(el.dataset.start), end: parseFloat(el.dataset.end) };
      }
    );
    var currentCue = -1;
    var currentChapter = -1;
    players.push(audio);

    function seek(seconds) {
      audio.currentTime = seconds;
      var playing = audio.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
      update();
    }

    function showCue(index) {
      if (index === currentCue) { return; }
      if (currentCue >= 0) {
        cues[currentCue].el.classList.remove("current");
        cues[currentCue].el.removeAttribute("aria-current");
      }
      currentCue = index;
      if (index < 0) { return; }
      var el = cues[index].el;
      el.classList.add("current");
      el.setAttribute("aria-current", "true");
      if (box && (!follow || follow.checked)) {
        // Scroll the transcript box only, never the page under the listener.
        box.scrollTop = Math.max(0, el.offsetTop - box.clientHeight / 3);
      }
    }

    function showChapter(index) {
      if (index === currentChapter) { return; }
      if (currentChapter >= 0) { chapters[currentChapter].el.removeAttribute("aria-current"); }
      currentChapter = index;
      if (index < 0) { return; }
      chapters[index].el.setAttribute("aria-current", "true");
      if (now && !audio.paused) {
        now.textContent = "Chapter " + (index + 1) + ": " + chapters[index].title;
      }
    }

    function update() {
      var t = audio.currentTime;
      var c = lastStarted(cues, t);
      // Between cues (a pause) the last spoken one stays lit.
      showCue(c);
      showChapter(lastStarted(chapters, t));
    }

    chapters.forEach(function (chapter) {
      chapter.el.addEventListener("click", function () { seek(chapter.start); });
    });
    cues.forEach(function (cue) {
      cue.el.addEventListener("click", function () { seek(cue.start); });
    });
    audio.addEventListener("timeupdate", update);
    audio.addEventListener("seeked", update);
    audio.addEventListener("play", function () {
      players.forEach(function (other) { if (other !== audio) { other.pause(); } });
    });
  }

  function subscribe() {
    var link = document.getElementById("feed-url");
    var copy = document.getElementById("copy-feed");
    var status = document.getElementById("copy-status");
    if (!link) { return; }
    var url = new URL(link.getAttribute("href"), document.baseURI).href;
    if (/^https?:/.test(url)) {
      link.textContent = url;
      if (copy && navigator.clipboard) {
        copy.hidden = false;
        copy.addEventListener("click", function () {
          navigator.clipboard.writeText(url).then(
            function () { status.textContent = "Feed URL copied."; },
            function () { status.textContent = "Could not copy; select the link text instead."; }
          );
        });
      }
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll(".episode"), setup);
  subscribe();
})();
