// The scoring page's audio player: playback speed, the current moment into the comment
// form, and a click on a comment's moment seeks the recording there.
(function () {
  const player = document.getElementById('qa-player');
  if (!player) return;
  const speed = document.getElementById('qa-speed');
  if (speed) {
    speed.addEventListener('change', function () {
      player.playbackRate = parseFloat(speed.value) || 1;
    });
  }
  const stamp = function (s) {
    const t = Math.floor(s);
    return Math.floor(t / 60) + ':' + String(t % 60).padStart(2, '0');
  };
  const now = document.getElementById('qa-now');
  const at = document.getElementById('comment-at');
  if (now && at) {
    now.addEventListener('click', function (e) {
      e.preventDefault();
      at.value = stamp(player.currentTime);
    });
  }
  document.querySelectorAll('[data-seek]').forEach(function (a) {
    a.addEventListener('click', function (e) {
      e.preventDefault();
      player.currentTime = parseFloat(a.getAttribute('data-seek')) || 0;
      player.play().catch(function () {});
    });
  });
})();
